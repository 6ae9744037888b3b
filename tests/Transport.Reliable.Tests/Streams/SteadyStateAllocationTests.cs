using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

/// <summary>
/// Hot paths allocate nothing in steady state (beyond the chunk pool). The 16 KiB chunk size keeps these tests on a
/// pool bucket no other test uses, so tests running in parallel cannot empty it.
/// </summary>
public class SteadyStateAllocationTests
{
    private const int ChunkSize = 16 * 1024;

    [Fact]
    public void Receiving_reordered_segments_and_reading_allocates_nothing()
    {
        var rb = new ReceiveBuffer(ChunkSize);
        var segment = new byte[1200];
        var destination = new byte[3000];
        long offset = 0;

        long Run(int pairs)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < pairs; i++)
            {
                // Each pair arrives swapped, with a duplicate.
                // (No xunit asserts inside the measured loop: they allocate.)
                if (rb.Receive(offset + 1200, segment, false, offset + 100_000) != ReceiveResult.Ok
                    || rb.Receive(offset, segment, false, offset + 100_000) != ReceiveResult.Ok
                    || rb.Receive(offset, segment, false, offset + 100_000) != ReceiveResult.Ok)
                    return -1;
                offset += 2400;
                while (rb.Read(destination) > 0) { }
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run(1000); // warm up: pool, range set, ring
        Assert.Equal(0, Run(10_000));
        Assert.Equal(offset, rb.ReadOffset);
    }

    [Fact]
    public void Writing_segmenting_losing_and_acknowledging_allocates_nothing()
    {
        var sb = new SendBuffer(ChunkSize);
        var data = new byte[1000];
        var packet = new byte[1200];

        long Run(int rounds)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++)
            {
                sb.Write(data);
                sb.Write(data);
                if (!sb.TryGetSegment(1200, long.MaxValue, out StreamSegment a) || !sb.TryGetSegment(1200, long.MaxValue, out StreamSegment b))
                    return -1;
                sb.CopyTo(a.Offset, packet.AsSpan(0, a.Length));
                sb.CopyTo(b.Offset, packet.AsSpan(0, b.Length));
                sb.OnAcked(b.Offset, b.Length, b.Fin); // out of order
                sb.OnLost(a.Offset, a.Length, a.Fin);
                if (!sb.TryGetSegment(1200, long.MaxValue, out StreamSegment r) || r.Offset != a.Offset || r.Length != a.Length)
                    return -1;
                sb.OnAcked(r.Offset, r.Length, r.Fin);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run(1000);
        Assert.Equal(0, Run(10_000));
        Assert.Equal(0, sb.BufferedBytes);
    }
}
