using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;
using Transport.Quic.Frames;

namespace Transport.Quic.Tests.Frames;

public class FrameRoundTripTests
{
    private delegate bool Writer(ref SpanWriter w);

    // Writes one frame, reads it back at 1-RTT, and hands the frame to a checker; also checks the reported length.
    private static bool RoundTrip(Writer write, int expectedLength, FrameType expectedType, Func<Frame, bool> check, EncryptionLevel level = EncryptionLevel.OneRtt)
    {
        var buffer = new byte[expectedLength + 32];
        var w = new SpanWriter(buffer);
        if (!write(ref w)) return false;
        if (w.Position != expectedLength) return false;
        var reader = new FrameReader(buffer.AsSpan(0, w.Position), level);
        if (reader.ReadNext(out Frame f) != FrameReadResult.Frame) return false;
        if (f.Type != expectedType || f.Encoded.Length != expectedLength) return false;
        if (!check(f)) return false;
        return reader.ReadNext(out _) == FrameReadResult.End;
    }

    [Fact]
    public void ResetStream_round_trips() => TestGen.Check(
        from a in TestGen.VarIntValue from b in TestGen.VarIntValue from c in TestGen.VarIntValue select new ResetStreamFrame(a, b, c),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, x), FrameWriter.GetLength(x), FrameType.ResetStream, f => f.AsResetStream() == x));

    [Fact]
    public void StopSending_round_trips() => TestGen.Check(
        from a in TestGen.VarIntValue from b in TestGen.VarIntValue select new StopSendingFrame(a, b),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, x), FrameWriter.GetLength(x), FrameType.StopSending, f => f.AsStopSending() == x));

    [Fact]
    public void Flow_control_frames_round_trip() => TestGen.Check(
        from a in TestGen.VarIntValue from b in TestGen.VarIntValue from s in TestGen.UpTo(FrameRules.MaxStreamCount) from bidi in Gen.Elements(true, false)
        select (a, b, s, bidi),
        x =>
            RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxDataFrame(x.a)), FrameWriter.GetLength(new MaxDataFrame(x.a)), FrameType.MaxData, f => f.AsMaxData().MaximumData == x.a)
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new DataBlockedFrame(x.a)), FrameWriter.GetLength(new DataBlockedFrame(x.a)), FrameType.DataBlocked, f => f.AsDataBlocked().MaximumData == x.a)
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxStreamDataFrame(x.a, x.b)), FrameWriter.GetLength(new MaxStreamDataFrame(x.a, x.b)), FrameType.MaxStreamData, f => f.AsMaxStreamData() == new MaxStreamDataFrame(x.a, x.b))
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamDataBlockedFrame(x.a, x.b)), FrameWriter.GetLength(new StreamDataBlockedFrame(x.a, x.b)), FrameType.StreamDataBlocked, f => f.AsStreamDataBlocked() == new StreamDataBlockedFrame(x.a, x.b))
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new MaxStreamsFrame(x.bidi, x.s)), FrameWriter.GetLength(new MaxStreamsFrame(x.bidi, x.s)),
                x.bidi ? FrameType.MaxStreamsBidi : FrameType.MaxStreamsUni, f => f.AsMaxStreams() == new MaxStreamsFrame(x.bidi, x.s))
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamsBlockedFrame(x.bidi, x.s)), FrameWriter.GetLength(new StreamsBlockedFrame(x.bidi, x.s)),
                x.bidi ? FrameType.StreamsBlockedBidi : FrameType.StreamsBlockedUni, f => f.AsStreamsBlocked() == new StreamsBlockedFrame(x.bidi, x.s))
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new RetireConnectionIdFrame(x.b)), FrameWriter.GetLength(new RetireConnectionIdFrame(x.b)), FrameType.RetireConnectionId, f => f.AsRetireConnectionId().SequenceNumber == x.b));

    [Fact]
    public void Path_frames_round_trip() => TestGen.Check(
        from a in Gen.Choose(int.MinValue, int.MaxValue) from b in Gen.Choose(int.MinValue, int.MaxValue) select (ulong)(uint)a << 32 | (uint)b,
        d => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new PathChallengeFrame(d)), FrameWriter.PathValidationFrameLength, FrameType.PathChallenge, f => f.AsPathChallenge().Data == d)
            && RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new PathResponseFrame(d)), FrameWriter.PathValidationFrameLength, FrameType.PathResponse, f => f.AsPathResponse().Data == d));

    [Fact]
    public void Crypto_round_trips() => TestGen.Check(
        from offset in TestGen.UpTo(VarInt.MaxValue - 5000) from data in TestGen.Bytes(0, 3000) select (offset, data),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new CryptoFrame(x.offset, x.data)),
            FrameWriter.GetCryptoFrameHeaderLength(x.offset, x.data.Length) + x.data.Length, FrameType.Crypto,
            f => f.AsCrypto().Offset == x.offset && f.AsCrypto().Data.SequenceEqual(x.data),
            EncryptionLevel.Initial));

    [Fact]
    public void NewToken_round_trips() => TestGen.Check(TestGen.Bytes(1, 300),
        token => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new NewTokenFrame(token)), FrameWriter.GetLength(new NewTokenFrame(token)),
            FrameType.NewToken, f => f.AsNewToken().Token.SequenceEqual(token)));

    [Fact]
    public void Stream_round_trips_in_all_eight_variants() => TestGen.Check(
        from id in TestGen.VarIntValue
        from offset in Gen.OneOf(Gen.Constant(0UL), TestGen.UpTo(VarInt.MaxValue - 5000))
        from data in TestGen.Bytes(0, 2000)
        from fin in Gen.Elements(true, false)
        from len in Gen.Elements(true, false)
        select (id, offset, data, fin, len),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new StreamFrame(x.id, x.offset, x.data, x.fin, x.len)),
            FrameWriter.GetStreamFrameHeaderLength(x.id, x.offset, x.data.Length, x.len) + x.data.Length, FrameType.Stream,
            f =>
            {
                StreamFrame s = f.AsStream();
                ulong expectedType = 0x08UL | (x.offset != 0 ? 4UL : 0) | (x.len ? 2UL : 0) | (x.fin ? 1UL : 0);
                return f.RawType == expectedType && s.StreamId == x.id && s.Offset == x.offset && s.Fin == x.fin
                    && s.HasLengthField == x.len && s.Data.SequenceEqual(x.data);
            }));

    [Fact]
    public void NewConnectionId_round_trips() => TestGen.Check(
        from seq in TestGen.VarIntValue from rptSeed in TestGen.VarIntValue from cid in TestGen.Bytes(1, 20) from token in TestGen.Bytes(16, 16)
        select (seq, rpt: seq == 0 ? 0 : rptSeed % (seq + 1), cid, token),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new NewConnectionIdFrame(x.seq, x.rpt, x.cid, x.token)),
            FrameWriter.GetLength(new NewConnectionIdFrame(x.seq, x.rpt, x.cid, x.token)), FrameType.NewConnectionId,
            f =>
            {
                NewConnectionIdFrame n = f.AsNewConnectionId();
                return n.SequenceNumber == x.seq && n.RetirePriorTo == x.rpt && n.ConnectionId.SequenceEqual(x.cid) && n.StatelessResetToken.SequenceEqual(x.token);
            }));

    [Fact]
    public void ConnectionClose_round_trips_both_types() => TestGen.Check(
        from app in Gen.Elements(true, false) from code in TestGen.VarIntValue from ft in TestGen.VarIntValue from reason in TestGen.Bytes(0, 100)
        select (app, code, ft, reason),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new ConnectionCloseFrame(x.app, x.code, x.ft, x.reason)),
            FrameWriter.GetLength(new ConnectionCloseFrame(x.app, x.code, x.ft, x.reason)),
            x.app ? FrameType.ConnectionCloseApplication : FrameType.ConnectionClose,
            f =>
            {
                ConnectionCloseFrame c = f.AsConnectionClose();
                return c.IsApplicationError == x.app && c.ErrorCode == x.code && c.TriggeringFrameType == (x.app ? 0 : x.ft)
                    && c.ReasonPhrase.SequenceEqual(x.reason) && !f.IsAckEliciting;
            }));

    [Fact]
    public void Datagram_round_trips_with_and_without_length() => TestGen.Check(
        from data in TestGen.Bytes(0, 1500) from len in Gen.Elements(true, false) select (data, len),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWrite(ref w, new DatagramFrame(x.data, x.len)),
            FrameWriter.GetDatagramFrameLength(x.data.Length, x.len), x.len ? FrameType.DatagramWithLength : FrameType.Datagram,
            f => f.AsDatagram().Data.SequenceEqual(x.data) && f.AsDatagram().HasLengthField == x.len && f.IsAckEliciting));

    [Fact]
    public void Ping_HandshakeDone_and_padding_round_trip()
    {
        var buffer = new byte[16];
        var w = new SpanWriter(buffer);
        Assert.True(FrameWriter.TryWritePing(ref w));
        Assert.True(FrameWriter.TryWritePadding(ref w, 5));
        Assert.True(FrameWriter.TryWriteHandshakeDone(ref w));
        var r = new FrameReader(buffer.AsSpan(0, w.Position), EncryptionLevel.OneRtt);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out Frame f));
        Assert.Equal(FrameType.Ping, f.Type);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out f));
        Assert.Equal(FrameType.Padding, f.Type);
        Assert.Equal(5, f.PaddingLength);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out f));
        Assert.Equal(FrameType.HandshakeDone, f.Type);
        Assert.Equal(FrameReadResult.End, r.ReadNext(out _));
    }

    // ACK ranges: a largest, then descending ranges with gaps of at least one missing packet.
    internal static readonly Gen<AckRange[]> AckRanges =
        from largest in Gen.OneOf(TestGen.UpTo(VarInt.MaxValue), TestGen.UpTo(100_000))
        from pairs in Gen.ArrayOf(Gen.Zip(TestGen.UpTo(300), TestGen.UpTo(300)))
        from first in TestGen.UpTo(1000)
        select BuildRanges(largest, first, pairs);

    private static AckRange[] BuildRanges(ulong largest, ulong firstLength, (ulong gap, ulong len)[] pairs)
    {
        var list = new List<AckRange>();
        ulong smallest = firstLength > largest ? 0 : largest - firstLength;
        list.Add(new AckRange(smallest, largest));
        foreach (var (gap, len) in pairs)
        {
            if (smallest < gap + 2) break;
            ulong hi = smallest - gap - 2;
            ulong lo = len > hi ? 0 : hi - len;
            list.Add(new AckRange(lo, hi));
            smallest = lo;
        }
        return list.ToArray();
    }

    [Fact]
    public void Ack_round_trips_with_ranges_and_ecn() => TestGen.Check(
        from ranges in AckRanges
        from delay in TestGen.VarIntValue
        from ecn in Gen.OneOf(Gen.Constant((EcnCounts?)null),
            from a in TestGen.VarIntValue from b in TestGen.VarIntValue from c in TestGen.VarIntValue select (EcnCounts?)new EcnCounts(a, b, c))
        select (ranges, delay, ecn),
        x => RoundTrip((ref SpanWriter w) => FrameWriter.TryWriteAck(ref w, x.ranges, x.delay, x.ecn),
            FrameWriter.GetAckLength(x.ranges, x.delay, x.ecn), x.ecn.HasValue ? FrameType.AckEcn : FrameType.Ack,
            f =>
            {
                AckFrame ack = f.AsAck();
                var read = new List<AckRange>();
                foreach (AckRange r in ack.Ranges) read.Add(r);
                return ack.LargestAcknowledged == x.ranges[0].Largest && ack.AckDelay == x.delay
                    && ack.AckRangeCount == (ulong)(x.ranges.Length - 1) && read.SequenceEqual(x.ranges)
                    && ack.EcnCounts == x.ecn && !f.IsAckEliciting;
            }, EncryptionLevel.Handshake));

    [Fact]
    public void GetAckRangesThatFit_is_the_largest_prefix_that_fits() => TestGen.Check(
        from ranges in AckRanges from delay in TestGen.UpTo(100000) from max in Gen.Choose(0, 200) select (ranges, delay, max),
        x =>
        {
            int n = FrameWriter.GetAckRangesThatFit(x.ranges, x.delay, null, x.max);
            bool fits = n == 0 || FrameWriter.GetAckLength(x.ranges.AsSpan(0, n), x.delay) <= x.max;
            bool maximal = n == x.ranges.Length || FrameWriter.GetAckLength(x.ranges.AsSpan(0, n + 1), x.delay) > x.max;
            return fits && maximal;
        });

    [Fact]
    public void GetMaxStreamDataLength_is_the_most_data_that_fits() => TestGen.Check(
        from id in TestGen.VarIntValue from offset in Gen.OneOf(Gen.Constant(0UL), TestGen.UpTo(VarInt.MaxValue - 100_000))
        from available in Gen.Choose(0, 70_000) from len in Gen.Elements(true, false)
        select (id, offset, available, len),
        x =>
        {
            int n = FrameWriter.GetMaxStreamDataLength(x.id, x.offset, x.available, x.len);
            int size = FrameWriter.GetStreamFrameHeaderLength(x.id, x.offset, n, x.len) + n;
            bool fits = size <= x.available || n == 0;
            int bigger = FrameWriter.GetStreamFrameHeaderLength(x.id, x.offset, n + 1, x.len) + n + 1;
            return fits && bigger > x.available;
        });

    [Fact]
    public void GetMaxCryptoDataLength_is_the_most_data_that_fits() => TestGen.Check(
        from offset in TestGen.UpTo(1UL << 40) from available in Gen.Choose(0, 70_000) select (offset, available),
        x =>
        {
            int n = FrameWriter.GetMaxCryptoDataLength(x.offset, x.available);
            bool fits = FrameWriter.GetCryptoFrameHeaderLength(x.offset, n) + n <= x.available || n == 0;
            return fits && FrameWriter.GetCryptoFrameHeaderLength(x.offset, n + 1) + n + 1 > x.available;
        });

    [Fact]
    public void Writers_write_nothing_when_the_frame_does_not_fit()
    {
        var buffer = new byte[9];
        var w = new SpanWriter(buffer);
        Assert.True(FrameWriter.TryWritePing(ref w));
        Assert.False(FrameWriter.TryWrite(ref w, new StreamFrame(4, 1000, new byte[20], false)));
        Assert.False(FrameWriter.TryWrite(ref w, new ResetStreamFrame(VarInt.MaxValue, 1, 1)));
        Assert.False(FrameWriter.TryWriteAck(ref w, [new AckRange(0, VarInt.MaxValue)], 1));
        Assert.False(FrameWriter.TryWrite(ref w, new PathChallengeFrame(1)));
        Assert.False(FrameWriter.TryWritePadding(ref w, 9));
        Assert.Equal(1, w.Position);
        Assert.True(FrameWriter.TryWritePadding(ref w, 8));
        Assert.Equal(9, w.Position);
    }

    [Fact]
    public void Stream_header_then_data_in_place_matches_whole_frame_writer()
    {
        byte[] data = TestGen.RandomBytes(7, 300);
        var a = new byte[400];
        var b = new byte[400];
        var wa = new SpanWriter(a);
        Assert.True(FrameWriter.TryWrite(ref wa, new StreamFrame(8, 70000, data, true)));
        var wb = new SpanWriter(b);
        Assert.True(FrameWriter.TryWriteStreamFrameHeader(ref wb, 8, 70000, data.Length, fin: true));
        data.CopyTo(wb.Free);
        wb.Advance(data.Length);
        Assert.Equal(wa.Written.ToArray(), wb.Written.ToArray());
        // type 0x0f (OFF|LEN|FIN), id 8, offset 70000 (4-byte varint 0x80011170), length 300 (0x412c)
        Assert.Equal(TestGen.Hex("0f 08 80011170 412c"), wa.Written.Slice(0, 8).ToArray());
    }

    [Fact]
    public void Bad_writer_arguments_throw_argument_exceptions()
    {
        var buffer = new byte[100];
        Assert.Throws<ArgumentException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWriteAck(ref w, [], 0); });
        Assert.Throws<ArgumentException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWriteAck(ref w, [new AckRange(5, 9), new AckRange(3, 4)], 0); });
        Assert.Throws<ArgumentException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWrite(ref w, new NewTokenFrame([])); });
        Assert.Throws<ArgumentException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWrite(ref w, new NewConnectionIdFrame(1, 2, new byte[8], new byte[16])); });
        Assert.Throws<ArgumentException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWrite(ref w, new NewConnectionIdFrame(1, 0, new byte[21], new byte[16])); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWrite(ref w, new MaxStreamsFrame(true, FrameRules.MaxStreamCount + 1)); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { var w = new SpanWriter(buffer); FrameWriter.TryWrite(ref w, new StreamFrame(0, VarInt.MaxValue, new byte[1], false)); });
    }
}
