using Transport.Reliable.Streams;
using Transport.Tests.Shared;

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

        bool ok = true;

        void Pair()
        {
            // Each pair arrives swapped, with a duplicate.
            // (No xunit asserts inside the measured loop: they allocate.)
            ok &= rb.Receive(offset + 1200, segment, false, offset + 100_000) == ReceiveResult.Ok
                && rb.Receive(offset, segment, false, offset + 100_000) == ReceiveResult.Ok
                && rb.Receive(offset, segment, false, offset + 100_000) == ReceiveResult.Ok;
            offset += 2400;
            while (rb.Read(destination) > 0) { }
        }

        // Warm up (pool, range set, ring), then the fewest bytes allocated in any of several windows.
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(Pair, warmupRounds: 1000, measuredRounds: 2000);
        Assert.True(ok);
        Assert.Equal(0, allocated);
        Assert.Equal(offset, rb.ReadOffset);
    }

    [Fact]
    public void Writing_segmenting_losing_and_acknowledging_allocates_nothing()
    {
        var sb = new SendBuffer(ChunkSize);
        var data = new byte[1000];
        var packet = new byte[1200];

        bool ok = true;

        void Round()
        {
            sb.Write(data);
            sb.Write(data);
            if (!sb.TryGetSegment(1200, long.MaxValue, out StreamSegment a) || !sb.TryGetSegment(1200, long.MaxValue, out StreamSegment b))
            {
                ok = false;
                return;
            }
            sb.CopyTo(a.Offset, packet.AsSpan(0, a.Length));
            sb.CopyTo(b.Offset, packet.AsSpan(0, b.Length));
            sb.OnAcked(b.Offset, b.Length, b.Fin); // out of order
            sb.OnLost(a.Offset, a.Length, a.Fin);
            if (!sb.TryGetSegment(1200, long.MaxValue, out StreamSegment r) || r.Offset != a.Offset || r.Length != a.Length)
            {
                ok = false;
                return;
            }
            sb.OnAcked(r.Offset, r.Length, r.Fin);
        }

        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(Round, warmupRounds: 1000, measuredRounds: 2000);
        Assert.True(ok);
        Assert.Equal(0, allocated);
        Assert.Equal(0, sb.BufferedBytes);
    }
}
