using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Tests.Shared;

namespace Transport.Quic.Tests.Frames;

public class FrameReaderTests
{
    private static (FrameReadResult Result, TransportErrorCode Error, ulong FrameType, int Frames) ReadAll(byte[] payload, EncryptionLevel level = EncryptionLevel.OneRtt)
    {
        var r = new FrameReader(payload, level);
        int n = 0;
        FrameReadResult result;
        while ((result = r.ReadNext(out _)) == FrameReadResult.Frame) n++;
        return (result, r.Error, r.ErrorFrameType, n);
    }

    private static void AssertError(string hex, TransportErrorCode expected, EncryptionLevel level = EncryptionLevel.OneRtt)
    {
        var (result, error, _, _) = ReadAll(TestGen.Hex(hex), level);
        Assert.Equal(FrameReadResult.Error, result);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Rfc9001_A3_server_initial_payload_parses_as_ACK_then_CRYPTO()
    {
        // RFC 9001 Appendix A.3: the server's Initial payload.
        byte[] payload = TestGen.Hex("""
            02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739
            88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94
            0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00
            020304
            """);
        Assert.Equal(99, payload.Length);
        var r = new FrameReader(payload, EncryptionLevel.Initial);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out Frame f));
        AckFrame ack = f.AsAck();
        Assert.Equal(0UL, ack.LargestAcknowledged);
        Assert.Equal(0UL, ack.AckDelay);
        Assert.Equal(0UL, ack.AckRangeCount);
        Assert.False(ack.HasEcnCounts);
        int ranges = 0;
        foreach (AckRange range in ack.Ranges) { Assert.Equal(new AckRange(0, 0), range); ranges++; }
        Assert.Equal(1, ranges);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out f));
        CryptoFrame crypto = f.AsCrypto();
        Assert.Equal(0UL, crypto.Offset);
        Assert.Equal(90, crypto.Data.Length);
        Assert.Equal(0x02, crypto.Data[0]); // ServerHello
        Assert.Equal(FrameReadResult.End, r.ReadNext(out _));
    }

    [Fact]
    public void Rfc9001_A2_client_initial_payload_is_CRYPTO_then_917_bytes_of_PADDING()
    {
        byte[] crypto = TestGen.Hex("""
            060040f1010000ed0303ebf8fa56f129 39b9584a3896472ec40bb863cfd3e868
            04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578
            616d706c652e636f6dff01000100000a 00080006001d00170018001000070005
            04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba
            baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400
            0d0010000e0403050306030203080408 050806002d00020101001c0002400100
            3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000
            75300901100f088394c8f03e51570806 048000ffff
            """);
        var payload = new byte[1162];
        crypto.CopyTo(payload, 0);
        var r = new FrameReader(payload, EncryptionLevel.Initial);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out Frame f));
        Assert.Equal(FrameType.Crypto, f.Type);
        Assert.Equal(245, f.Encoded.Length);
        Assert.Equal(241, f.AsCrypto().Data.Length);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out f));
        Assert.Equal(917, f.PaddingLength);
        Assert.Equal(FrameReadResult.End, r.ReadNext(out _));

        // Writing the same frames gives the same bytes.
        var written = new byte[1162];
        var w = new SpanWriter(written);
        Assert.True(FrameWriter.TryWriteCryptoFrameHeader(ref w, 0, 241));
        // The RFC encodes the length 241 on two bytes (0x40f1), which is also the shortest form.
        crypto.AsSpan(4).CopyTo(w.Free);
        w.Advance(241);
        Assert.True(FrameWriter.TryWritePadding(ref w, 917));
        Assert.Equal(payload, written);
    }

    [Fact]
    public void Ack_ranges_decode_gap_and_length_per_rfc9000_19_3_1()
    {
        // Largest 100, delay 5, 2 more ranges, first range 2 -> [98,100]; gap 1 -> largest 95, length 3 -> [92,95];
        // gap 0 -> largest 90, length 0 -> [90,90].
        var r = new FrameReader(TestGen.Hex("02 4064 05 02 02 01 03 00 00"), EncryptionLevel.OneRtt);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out Frame f));
        var ranges = new List<AckRange>();
        foreach (AckRange range in f.AsAck().Ranges) ranges.Add(range);
        Assert.Equal([new AckRange(98, 100), new AckRange(92, 95), new AckRange(90, 90)], ranges);
        Assert.Equal(TimeSpan.FromMicroseconds(40), f.AsAck().GetAckDelay(3));
    }

    [Theory]
    [InlineData("02 05 00 00 06")]          // first range (6) larger than largest (5)
    [InlineData("02 05 00 01 05 00 00")]    // smallest 0, then a gap: next largest would be -2
    [InlineData("02 0a 00 01 02 05 04")]    // [8,10], gap 5 -> largest 1, length 4 -> -3
    public void Ack_underflow_is_a_frame_encoding_error(string hex) => AssertError(hex, TransportErrorCode.FrameEncodingError);

    [Theory]
    [InlineData("1f")]                // unassigned frame type
    [InlineData("21")]
    [InlineData("4040")]              // unknown two-byte type (64)
    [InlineData("07 00")]             // NEW_TOKEN with an empty token
    public void Malformed_frames_are_frame_encoding_errors(string hex) => AssertError(hex, TransportErrorCode.FrameEncodingError);

    [Theory]
    [InlineData("12 d000000000000001")]          // MAX_STREAMS bidi 2^60 + 1
    [InlineData("13 d000000000000001")]          // MAX_STREAMS uni
    [InlineData("16 d000000000000001")]          // STREAMS_BLOCKED bidi
    [InlineData("17 d000000000000001")]          // STREAMS_BLOCKED uni
    [InlineData("18 01 00 00 00112233445566778899aabbccddeeff")] // NEW_CONNECTION_ID length 0
    [InlineData("18 01 00 15 000102030405060708090a0b0c0d0e0f1011121314 00112233445566778899aabbccddeeff")] // length 21
    [InlineData("18 01 02 04 01020304 00112233445566778899aabbccddeeff")] // Retire Prior To 2 > Sequence 1
    [InlineData("18 01 00 04 01020304 00112233")] // reset token truncated
    [InlineData("0e 00 ffffffffffffffff 01 00")]  // STREAM offset 2^62-1 with 1 byte
    [InlineData("0c 00 ffffffffffffffff 00")]     // STREAM (OFF, no LEN) offset 2^62-1 + 1 byte to the end
    [InlineData("06 ffffffffffffffff 01 00")]     // CRYPTO offset 2^62-1 with 1 byte
    [InlineData("0a 00 05 0102")]                 // STREAM with LEN past the end
    [InlineData("1c 07 00 05 6869")]              // CONNECTION_CLOSE reason past the end
    [InlineData("1a 0102030405")]                 // PATH_CHALLENGE truncated
    [InlineData("31 03 0102")]                    // DATAGRAM length past the end
    [InlineData("04 01 02")]                      // RESET_STREAM truncated
    [InlineData("03 05 00 00 00 01 02")]          // ACK_ECN missing a count
    [InlineData("02 05 00 ffffffff")]             // ACK range count larger than the payload could hold
    [InlineData("10 40")]                         // MAX_DATA varint truncated
    public void Out_of_range_and_truncated_frames_are_frame_encoding_errors(string hex) => AssertError(hex, TransportErrorCode.FrameEncodingError);

    [Theory]
    [InlineData("4001")]               // PING on two bytes
    [InlineData("80000006 00 00")]     // CRYPTO on four bytes
    public void Non_minimal_frame_types_are_protocol_violations(string hex) => AssertError(hex, TransportErrorCode.ProtocolViolation);

    [Theory]
    [InlineData("08 00", EncryptionLevel.Initial)]            // STREAM
    [InlineData("08 00", EncryptionLevel.Handshake)]
    [InlineData("1d 00 00", EncryptionLevel.Initial)]         // application CONNECTION_CLOSE (RFC 9000 §12.5)
    [InlineData("1d 00 00", EncryptionLevel.Handshake)]
    [InlineData("1e", EncryptionLevel.Handshake)]             // HANDSHAKE_DONE
    [InlineData("1e", EncryptionLevel.ZeroRtt)]
    [InlineData("02 00 00 00 00", EncryptionLevel.ZeroRtt)]   // ACK
    [InlineData("06 00 00", EncryptionLevel.ZeroRtt)]         // CRYPTO
    [InlineData("07 01 aa", EncryptionLevel.ZeroRtt)]         // NEW_TOKEN
    [InlineData("1b 0102030405060708", EncryptionLevel.ZeroRtt)] // PATH_RESPONSE
    [InlineData("19 00", EncryptionLevel.ZeroRtt)]            // RETIRE_CONNECTION_ID
    [InlineData("30 01", EncryptionLevel.Initial)]            // DATAGRAM (RFC 9221 §4)
    [InlineData("10 01", EncryptionLevel.Handshake)]          // MAX_DATA
    [InlineData("1a 0102030405060708", EncryptionLevel.Initial)] // PATH_CHALLENGE
    public void Frames_outside_their_packet_types_are_protocol_violations(string hex, EncryptionLevel level) =>
        AssertError(hex, TransportErrorCode.ProtocolViolation, level);

    [Theory]
    [InlineData("00 01 02 00 00 00 00 06 00 01 aa 1c 0a 00 00", EncryptionLevel.Initial, 5)]
    [InlineData("00 01 02 00 00 00 00 06 00 01 aa 1c 0a 00 00", EncryptionLevel.Handshake, 5)]
    [InlineData("01 0a 00 01 ff 1d 00 00 30 99", EncryptionLevel.ZeroRtt, 4)]
    [InlineData("1e 07 01 aa 1b 0102030405060708 19 00 03 00 00 00 00 01 02 03", EncryptionLevel.OneRtt, 5)]
    public void Frames_allowed_in_their_packet_types_are_read(string hex, EncryptionLevel level, int frames)
    {
        var (result, _, _, n) = ReadAll(TestGen.Hex(hex), level);
        Assert.Equal(FrameReadResult.End, result);
        Assert.Equal(frames, n);
    }

    [Fact]
    public void A_packet_with_no_frames_is_a_protocol_violation() => AssertError("", TransportErrorCode.ProtocolViolation);

    [Theory]
    [InlineData("07 01 aa")] // NEW_TOKEN
    [InlineData("1e")]       // HANDSHAKE_DONE
    public void Server_only_frames_received_by_a_server_are_protocol_violations(string hex)
    {
        var server = new FrameReader(TestGen.Hex(hex), EncryptionLevel.OneRtt, receiverIsServer: true);
        Assert.Equal(FrameReadResult.Error, server.ReadNext(out _));
        Assert.Equal(TransportErrorCode.ProtocolViolation, server.Error);
        var client = new FrameReader(TestGen.Hex(hex), EncryptionLevel.OneRtt, receiverIsServer: false);
        Assert.Equal(FrameReadResult.Frame, client.ReadNext(out _));
    }

    [Theory]
    [InlineData("02 00 00 00 00", false, false)]       // ACK only
    [InlineData("02 00 00 00 00 1c 00 00 00", false, false)] // ACK + CONNECTION_CLOSE
    [InlineData("02 00 00 00 00 00 00", false, true)]  // ACK + PADDING: in flight, not ack-eliciting
    [InlineData("00 01", true, true)]                  // PADDING + PING
    public void Reader_accumulates_ack_eliciting_and_in_flight(string hex, bool ackEliciting, bool inFlight)
    {
        var r = new FrameReader(TestGen.Hex(hex), EncryptionLevel.OneRtt);
        while (r.ReadNext(out _) == FrameReadResult.Frame) { }
        Assert.Equal(TransportErrorCode.NoError, r.Error);
        Assert.Equal(ackEliciting, r.IsAckEliciting);
        Assert.Equal(inFlight, r.IsInFlight);
    }

    [Fact]
    public void Error_reports_the_offending_frame_type_and_is_sticky()
    {
        var r = new FrameReader(TestGen.Hex("01 12 d000000000000001 01"), EncryptionLevel.OneRtt);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out _));
        Assert.Equal(FrameReadResult.Error, r.ReadNext(out _));
        Assert.Equal(0x12UL, r.ErrorFrameType);
        Assert.NotNull(r.ErrorReason);
        Assert.Equal(FrameReadResult.Error, r.ReadNext(out _));
    }

    [Fact]
    public void Stream_frame_without_length_runs_to_the_end_of_the_payload()
    {
        var r = new FrameReader(TestGen.Hex("01 09 04 aabbcc"), EncryptionLevel.OneRtt);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out _));
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out Frame f));
        StreamFrame s = f.AsStream();
        Assert.Equal(4UL, s.StreamId);
        Assert.Equal(0UL, s.Offset);
        Assert.True(s.Fin);
        Assert.False(s.HasLengthField);
        Assert.Equal(TestGen.Hex("aabbcc"), s.Data.ToArray());
        Assert.Equal(FrameReadResult.End, r.ReadNext(out _));
    }

    [Fact]
    public void Wrong_typed_view_throws_InvalidOperationException()
    {
        var r = new FrameReader(TestGen.Hex("01"), EncryptionLevel.OneRtt);
        Assert.Equal(FrameReadResult.Frame, r.ReadNext(out Frame f));
        try { f.AsStream(); Assert.Fail("expected an exception"); }
        catch (InvalidOperationException e) { Assert.Contains("STREAM", e.Message); }
    }

    [Theory]
    [InlineData(FrameType.Padding, false, true)]
    [InlineData(FrameType.Ack, false, false)]
    [InlineData(FrameType.AckEcn, false, false)]
    [InlineData(FrameType.ConnectionClose, false, false)]
    [InlineData(FrameType.ConnectionCloseApplication, false, false)]
    [InlineData(FrameType.Ping, true, true)]
    [InlineData(FrameType.Stream, true, true)]
    [InlineData(FrameType.Crypto, true, true)]
    [InlineData(FrameType.Datagram, true, true)]
    [InlineData(FrameType.HandshakeDone, true, true)]
    [InlineData(FrameType.PathResponse, true, true)]
    public void Ack_eliciting_and_in_flight_per_rfc9002_2(FrameType type, bool ackEliciting, bool inFlight)
    {
        Assert.Equal(ackEliciting, FrameRules.IsAckEliciting(type));
        Assert.Equal(inFlight, FrameRules.CountsInFlight(type));
    }

    [Fact]
    public void Table3_for_every_frame_type()
    {
        // RFC 9000 §12.4 Table 3 (+ §12.5 for 0-RTT, RFC 9221 for DATAGRAM): I, H, 0, 1.
        var expected = new Dictionary<FrameType, string>
        {
            [FrameType.Padding] = "IH01", [FrameType.Ping] = "IH01", [FrameType.Ack] = "IH_1", [FrameType.AckEcn] = "IH_1",
            [FrameType.ResetStream] = "__01", [FrameType.StopSending] = "__01", [FrameType.Crypto] = "IH_1",
            [FrameType.NewToken] = "___1", [FrameType.Stream] = "__01", [FrameType.MaxData] = "__01",
            [FrameType.MaxStreamData] = "__01", [FrameType.MaxStreamsBidi] = "__01", [FrameType.MaxStreamsUni] = "__01",
            [FrameType.DataBlocked] = "__01", [FrameType.StreamDataBlocked] = "__01", [FrameType.StreamsBlockedBidi] = "__01",
            [FrameType.StreamsBlockedUni] = "__01", [FrameType.NewConnectionId] = "__01", [FrameType.RetireConnectionId] = "___1",
            [FrameType.PathChallenge] = "__01", [FrameType.PathResponse] = "___1", [FrameType.ConnectionClose] = "IH01",
            [FrameType.ConnectionCloseApplication] = "__01", [FrameType.HandshakeDone] = "___1",
            [FrameType.Datagram] = "__01", [FrameType.DatagramWithLength] = "__01",
        };
        Assert.Equal(Enum.GetValues<FrameType>().Length, expected.Count);
        EncryptionLevel[] levels = [EncryptionLevel.Initial, EncryptionLevel.Handshake, EncryptionLevel.ZeroRtt, EncryptionLevel.OneRtt];
        foreach (var (type, row) in expected)
            for (int i = 0; i < 4; i++)
                Assert.True(FrameRules.IsAllowed(type, levels[i]) == (row[i] != '_'), $"{type} at {levels[i]}");
    }

    [Fact]
    public void Reading_allocates_nothing()
    {
        var payload = new byte[600];
        var w = new SpanWriter(payload);
        FrameWriter.TryWriteAck(ref w, [new AckRange(90, 100), new AckRange(50, 80), new AckRange(10, 20)], 10);
        FrameWriter.TryWrite(ref w, new StreamFrame(4, 1000, new byte[200], false));
        FrameWriter.TryWrite(ref w, new StreamFrame(8, 0, new byte[100], true, hasLengthField: false));
        byte[] bytes = payload.AsSpan(0, w.Position).ToArray();
        ulong sum = 0;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => sum += ReadAllSum(bytes), warmupRounds: 1000, measuredRounds: 100);
        Assert.Equal(0, allocated);
        Assert.NotEqual(0UL, sum);
    }

    private static ulong ReadAllSum(byte[] bytes)
    {
        ulong sum = 0;
        var r = new FrameReader(bytes, EncryptionLevel.OneRtt);
        while (r.ReadNext(out Frame f) == FrameReadResult.Frame)
        {
            if (f.Type is FrameType.Ack) foreach (AckRange range in f.AsAck().Ranges) sum += range.Count;
            else if (f.Type is FrameType.Stream) sum += (ulong)f.AsStream().Data.Length;
        }
        return sum;
    }
}
