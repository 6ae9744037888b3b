using Transport.Core.Wire;
using Transport.Quic.Frames;

namespace Transport.Quic.Tests.Frames;

public class FrameFuzzTests
{
    private static List<byte[]> Corpus()
    {
        var corpus = new List<byte[]>();
        void Add(FrameWriterAction write)
        {
            var buffer = new byte[2000];
            var w = new SpanWriter(buffer);
            write(ref w);
            corpus.Add(buffer.AsSpan(0, w.Position).ToArray());
        }
        byte[] data = TestGen.RandomBytes(1, 100);
        Add((ref SpanWriter w) => FrameWriter.TryWriteAck(ref w, [new AckRange(1000, 5000), new AckRange(200, 900), new AckRange(3, 100), new AckRange(0, 1)], 77, new EcnCounts(1, 2, 3)));
        Add((ref SpanWriter w) => FrameWriter.TryWriteAck(ref w, [new AckRange(70000, 70000), new AckRange(5, 6)], 1));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new ResetStreamFrame(4, 99, 123456)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StopSendingFrame(8, 1)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new CryptoFrame(1 << 20, data)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new NewTokenFrame(data.AsSpan(0, 30))));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamFrame(4, 0, data, false)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamFrame(4, VarInt.MaxValue - 200, data, true)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamFrame(1 << 30, 5, data, true, hasLengthField: false)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxDataFrame(1 << 40)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxStreamDataFrame(3, 16384)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxStreamsFrame(true, FrameRules.MaxStreamCount)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxStreamsFrame(false, 100)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new DataBlockedFrame(7)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamDataBlockedFrame(7, 8)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamsBlockedFrame(true, FrameRules.MaxStreamCount)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamsBlockedFrame(false, 3)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new NewConnectionIdFrame(5, 5, data.AsSpan(0, 20), data.AsSpan(20, 16))));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new RetireConnectionIdFrame(4)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new PathChallengeFrame(0x0102030405060708)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new PathResponseFrame(0x0102030405060708)));
        Add((ref SpanWriter w) => FrameWriter.TryWriteConnectionClose(ref w, TransportErrorCode.FlowControlError, 0x08, "too much"u8));
        Add((ref SpanWriter w) => FrameWriter.TryWriteApplicationClose(ref w, 0x100, "bye"u8));
        Add((ref SpanWriter w) => FrameWriter.TryWriteHandshakeDone(ref w));
        Add((ref SpanWriter w) => FrameWriter.TryWritePing(ref w));
        Add((ref SpanWriter w) => FrameWriter.TryWritePadding(ref w, 10));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new DatagramFrame(data, true)));
        Add((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new DatagramFrame(data, false)));
        // A few multi-frame payloads.
        var all = corpus.Where(c => c.Length < 200).SelectMany(c => c).ToArray();
        corpus.Add(all);
        corpus.Add(corpus[0].Concat(corpus[6]).Concat(corpus[25]).ToArray());
        return corpus;
    }

    private delegate bool FrameWriterAction(ref SpanWriter w);

    [Fact]
    public void Mutated_payloads_only_ever_yield_frames_end_or_codec_errors()
    {
        List<byte[]> corpus = Corpus();
        var random = new Random(20261121);
        EncryptionLevel[] levels = [EncryptionLevel.Initial, EncryptionLevel.Handshake, EncryptionLevel.ZeroRtt, EncryptionLevel.OneRtt];
        int errors = 0, clean = 0;
        for (int i = 0; i < 5000; i++)
        {
            byte[] input = Mutator.Mutate(corpus[random.Next(corpus.Count)], random);
            EncryptionLevel level = levels[random.Next(4)];
            var r = new FrameReader(input, level);
            FrameReadResult result;
            int guard = 0;
            while ((result = r.ReadNext(out Frame f)) == FrameReadResult.Frame)
            {
                Touch(f);
                Assert.True(++guard <= input.Length, "the reader made no progress");
            }
            if (result == FrameReadResult.Error)
            {
                Assert.True(r.Error is TransportErrorCode.FrameEncodingError or TransportErrorCode.ProtocolViolation, $"unexpected {r.Error}");
                errors++;
            }
            else
            {
                Assert.Equal(input.Length, r.Position);
                clean++;
            }
        }
        // Both outcomes must actually occur, or the fuzzing is not exercising anything.
        Assert.True(errors > 500 && clean > 500, $"errors {errors}, clean {clean}");
    }

    // Reads every field of every view: nothing may throw for a frame the reader accepted.
    private static void Touch(Frame f)
    {
        switch (f.Type)
        {
            case FrameType.Ack or FrameType.AckEcn:
                AckFrame ack = f.AsAck();
                _ = ack.EcnCounts;
                _ = ack.GetAckDelay(20);
                ulong last = ulong.MaxValue;
                foreach (AckRange range in ack.Ranges)
                {
                    Assert.True(range.Largest < last);
                    last = range.Smallest;
                }
                break;
            case FrameType.ResetStream: _ = f.AsResetStream(); break;
            case FrameType.StopSending: _ = f.AsStopSending(); break;
            case FrameType.Crypto: Assert.True(f.AsCrypto().Offset + (ulong)f.AsCrypto().Data.Length <= VarInt.MaxValue); break;
            case FrameType.NewToken: Assert.False(f.AsNewToken().Token.IsEmpty); break;
            case FrameType.Stream: Assert.True(f.AsStream().Offset + (ulong)f.AsStream().Data.Length <= VarInt.MaxValue); break;
            case FrameType.MaxData: _ = f.AsMaxData(); break;
            case FrameType.MaxStreamData: _ = f.AsMaxStreamData(); break;
            case FrameType.MaxStreamsBidi or FrameType.MaxStreamsUni: Assert.True(f.AsMaxStreams().MaximumStreams <= FrameRules.MaxStreamCount); break;
            case FrameType.DataBlocked: _ = f.AsDataBlocked(); break;
            case FrameType.StreamDataBlocked: _ = f.AsStreamDataBlocked(); break;
            case FrameType.StreamsBlockedBidi or FrameType.StreamsBlockedUni: _ = f.AsStreamsBlocked(); break;
            case FrameType.NewConnectionId:
                NewConnectionIdFrame n = f.AsNewConnectionId();
                Assert.InRange(n.ConnectionId.Length, 1, 20);
                Assert.Equal(16, n.StatelessResetToken.Length);
                Assert.True(n.RetirePriorTo <= n.SequenceNumber);
                break;
            case FrameType.RetireConnectionId: _ = f.AsRetireConnectionId(); break;
            case FrameType.PathChallenge: _ = f.AsPathChallenge(); break;
            case FrameType.PathResponse: _ = f.AsPathResponse(); break;
            case FrameType.ConnectionClose or FrameType.ConnectionCloseApplication: _ = f.AsConnectionClose(); break;
            case FrameType.Datagram or FrameType.DatagramWithLength: _ = f.AsDatagram(); break;
            case FrameType.Padding: Assert.True(f.PaddingLength > 0); break;
        }
    }
}
