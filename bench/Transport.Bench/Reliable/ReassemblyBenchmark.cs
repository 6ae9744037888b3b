using BenchmarkDotNet.Attributes;
using Transport.Reliable.Streams;

namespace Transport.Bench.Reliable;

/// <summary>
/// Stream buffers: receive-side reassembly of 1 MiB in 1200-byte segments (in order, and reordered), and the send-side
/// write / segment / copy / acknowledge cycle. Throughput is 1 MiB divided by the mean time.
/// </summary>
[MemoryDiagnoser]
public class ReassemblyBenchmark
{
    private const int StreamLength = 1 << 20;
    private const int SegmentSize = 1200;

    private byte[] _data = null!;
    private int[] _inOrder = null!;
    private int[] _reordered = null!;
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private readonly byte[] _packet = new byte[SegmentSize];

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[StreamLength];
        new Random(42).NextBytes(_data);
        int count = (StreamLength + SegmentSize - 1) / SegmentSize;
        _inOrder = new int[count];
        for (int i = 0; i < count; i++) _inOrder[i] = i * SegmentSize;

        // Reordered: segments shuffled within groups of 16 (as a reordering path would), plus one duplicate every 32.
        var rng = new Random(7);
        var order = new List<int>(count + count / 32);
        for (int g = 0; g < count; g += 16)
        {
            int n = Math.Min(16, count - g);
            int[] group = new int[n];
            for (int i = 0; i < n; i++) group[i] = (g + i) * SegmentSize;
            rng.Shuffle(group);
            order.AddRange(group);
            if (g % 32 == 0) order.Add(group[0]);
        }
        _reordered = order.ToArray();
    }

    private long Receive(int[] offsets)
    {
        using var buffer = new ReceiveBuffer();
        long read = 0;
        for (int i = 0; i < offsets.Length; i++)
        {
            int offset = offsets[i];
            int length = Math.Min(SegmentSize, StreamLength - offset);
            buffer.Receive(offset, _data.AsSpan(offset, length), offset + length == StreamLength, maxOffset: read + 256 * 1024);
            if ((i & 7) == 7) read += buffer.Read(_readBuffer);
        }
        while (buffer.ReadableBytes > 0) read += buffer.Read(_readBuffer);
        if (!buffer.IsFinished) throw new InvalidOperationException("stream incomplete");
        return read;
    }

    /// <summary>1 MiB arriving in order, read every 8 segments.</summary>
    [Benchmark(Baseline = true)]
    public long ReceiveInOrder() => Receive(_inOrder);

    /// <summary>1 MiB arriving shuffled within groups of 16 segments, with duplicates.</summary>
    [Benchmark]
    public long ReceiveReordered() => Receive(_reordered);

    /// <summary>1 MiB written in 16 KiB writes, cut into 1200-byte segments, copied to a packet and acknowledged in order.</summary>
    [Benchmark]
    public long SendWriteSegmentAck()
    {
        using var buffer = new SendBuffer();
        long copied = 0;
        for (int written = 0; written < StreamLength; written += 16 * 1024)
        {
            buffer.Write(_data.AsSpan(written, 16 * 1024));
            while (buffer.TryGetSegment(SegmentSize, long.MaxValue, out StreamSegment s))
            {
                buffer.CopyTo(s.Offset, _packet.AsSpan(0, s.Length));
                buffer.OnAcked(s.Offset, s.Length, s.Fin);
                copied += s.Length;
            }
        }
        return copied;
    }

    /// <summary>
    /// The send cycle with a window of 32 segments in flight, one in 16 lost and sent again, acknowledgements out of order.
    /// </summary>
    [Benchmark]
    public long SendWithLossAndReorderedAcks()
    {
        using var buffer = new SendBuffer();
        Span<StreamSegment> inFlight = stackalloc StreamSegment[32];
        int count = 0, sequence = 0;
        long copied = 0;
        buffer.Write(_data);
        buffer.Finish();
        while (!buffer.IsAllAcknowledged)
        {
            while (count < inFlight.Length && buffer.TryGetSegment(SegmentSize, long.MaxValue, out StreamSegment s))
            {
                buffer.CopyTo(s.Offset, _packet.AsSpan(0, s.Length));
                copied += s.Length;
                inFlight[count++] = s;
            }
            // Acknowledge odd slots first, then even ones; every 16th segment is lost instead.
            for (int pass = 1; pass >= 0; pass--)
            {
                for (int i = pass; i < count; i += 2)
                {
                    StreamSegment s = inFlight[i];
                    if (++sequence % 16 == 0) buffer.OnLost(s.Offset, s.Length, s.Fin);
                    else buffer.OnAcked(s.Offset, s.Length, s.Fin);
                }
            }
            count = 0;
        }
        return copied;
    }
}
