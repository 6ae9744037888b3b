using BenchmarkDotNet.Attributes;
using Transport.Core.Wire;
using Transport.Quic;
using Transport.Quic.Frames;

namespace Transport.Bench.Quic;

/// <summary>
/// The per-packet cost of the QUIC frame codec: varints, parsing a typical 1-RTT payload (ACK with 4 ranges and two
/// STREAM frames), and writing an ACK plus a STREAM frame into a packet buffer. Every benchmark should allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
public class FrameCodecBenchmark
{
    private static readonly ulong[] VarIntValues = [37, 15293, 494878333, 151288809941952652, 0, 63, 16383, 1073741823];
    private readonly byte[] _varIntBuffer = new byte[64];
    private readonly byte[] _packet = new byte[1500];
    private readonly byte[] _streamData = new byte[1000];
    private readonly AckRange[] _ranges =
    [
        new(1_000_090, 1_000_100), new(1_000_050, 1_000_080), new(1_000_010, 1_000_040), new(999_000, 1_000_000),
    ];
    private byte[] _payload = [];

    [GlobalSetup]
    public void Setup()
    {
        var w = new SpanWriter(_varIntBuffer);
        foreach (ulong v in VarIntValues) w.WriteVarInt(v);
        var buffer = new byte[1500];
        var pw = new SpanWriter(buffer);
        FrameWriter.TryWriteAck(ref pw, _ranges, 25);
        FrameWriter.TryWrite(ref pw, new StreamFrame(4, 123_456, new byte[600], fin: false));
        FrameWriter.TryWrite(ref pw, new StreamFrame(8, 0, new byte[500], fin: true, hasLengthField: false));
        _payload = pw.Written.ToArray();
    }

    /// <summary>Writes eight varints of every length.</summary>
    [Benchmark]
    public int VarIntWrite()
    {
        var w = new SpanWriter(_varIntBuffer);
        foreach (ulong v in VarIntValues) w.TryWriteVarInt(v);
        return w.Position;
    }

    /// <summary>Reads the eight varints back.</summary>
    [Benchmark]
    public ulong VarIntRead()
    {
        var r = new SpanReader(_varIntBuffer);
        ulong sum = 0;
        for (int i = 0; i < VarIntValues.Length; i++)
        {
            r.TryReadVarInt(out ulong v);
            sum += v;
        }
        return sum;
    }

    /// <summary>Parses a 1-RTT payload: ACK (4 ranges, walked lazily) and two STREAM frames.</summary>
    [Benchmark]
    public ulong Parse1RttPayload()
    {
        ulong sum = 0;
        var reader = new FrameReader(_payload, EncryptionLevel.OneRtt);
        while (reader.ReadNext(out Frame frame) == FrameReadResult.Frame)
        {
            switch (frame.Type)
            {
                case FrameType.Ack:
                    foreach (AckRange range in frame.AsAck().Ranges) sum += range.Count;
                    break;
                case FrameType.Stream:
                    StreamFrame stream = frame.AsStream();
                    sum += stream.Offset + (ulong)stream.Data.Length;
                    break;
            }
        }
        return sum;
    }

    /// <summary>Writes an ACK with 4 ranges and a 1000-byte STREAM frame (header, then the data copied in place).</summary>
    [Benchmark]
    public int WriteAckAndStream()
    {
        var w = new SpanWriter(_packet);
        FrameWriter.TryWriteAck(ref w, _ranges, 25);
        int room = FrameWriter.GetMaxStreamDataLength(4, 123_456, w.Remaining, withLength: true);
        int n = Math.Min(room, _streamData.Length);
        FrameWriter.TryWriteStreamFrameHeader(ref w, 4, 123_456, n, fin: false);
        _streamData.AsSpan(0, n).CopyTo(w.Free);
        w.Advance(n);
        return w.Position;
    }
}
