using System.Text.Json;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Quic.Qlog;
using static Transport.Quic.Tests.Qlog.QlogTestSupport;

namespace Transport.Quic.Tests.Qlog;

public class QlogFrameListTests
{
    private static string FramesJson(QlogFrameList frames)
    {
        var (writer, stream) = NewWriter();
        writer.PacketSent(At(1), PacketType.OneRtt, 1, 100, frames);
        var e = Single(writer, stream);
        return e.GetProperty("data").GetProperty("frames").GetRawText();
    }

    [Fact]
    public void Every_frame_kind_golden()
    {
        var f = new QlogFrameList();
        f.AddPadding(3);
        f.AddPing();
        f.AddAck(TimeSpan.FromMilliseconds(2), [new AckRange(5, 9), new AckRange(1, 1)], new EcnCounts(10, 11, 12));
        f.AddResetStream(4, 7, 1000);
        f.AddStopSending(8, 9);
        f.AddCrypto(100, 50);
        f.AddNewToken(64);
        f.AddStream(2, 0, 10, fin: false);
        f.AddMaxData(5000);
        f.AddMaxStreamData(4, 6000);
        f.AddMaxStreams(bidirectional: true, 100);
        f.AddMaxStreams(bidirectional: false, 3);
        f.AddDataBlocked(7000);
        f.AddStreamDataBlocked(4, 8000);
        f.AddStreamsBlocked(bidirectional: false, 9);
        f.AddNewConnectionId(2, 1, [0xab, 0xcd], Enumerable.Repeat((byte)0xee, 16).ToArray());
        f.AddRetireConnectionId(1);
        f.AddPathChallenge(0x0102030405060708);
        f.AddPathResponse(0xfffefdfcfbfaf9f8);
        f.AddConnectionClose(false, (ulong)TransportErrorCode.FlowControlError, 0x08, "too much"u8);
        f.AddConnectionClose(true, 77, 0, "app");
        f.AddHandshakeDone();
        f.AddDatagram(300);
        f.AddUnknown(0x4242);
        Assert.Equal(24, f.Count);
        Assert.Equal(
            "[" +
            """{"frame_type":"padding","length":3,"payload_length":3},""" +
            """{"frame_type":"ping"},""" +
            """{"frame_type":"ack","ack_delay":2,"acked_ranges":[[5,9],[1]],"ect1":11,"ect0":10,"ce":12},""" +
            """{"frame_type":"reset_stream","stream_id":4,"error_code":7,"final_size":1000},""" +
            """{"frame_type":"stop_sending","stream_id":8,"error_code":9},""" +
            """{"frame_type":"crypto","offset":100,"length":50},""" +
            """{"frame_type":"new_token","token":{"length":64}},""" +
            """{"frame_type":"stream","stream_id":2,"offset":0,"length":10},""" +
            """{"frame_type":"max_data","maximum":5000},""" +
            """{"frame_type":"max_stream_data","stream_id":4,"maximum":6000},""" +
            """{"frame_type":"max_streams","stream_type":"bidirectional","maximum":100},""" +
            """{"frame_type":"max_streams","stream_type":"unidirectional","maximum":3},""" +
            """{"frame_type":"data_blocked","limit":7000},""" +
            """{"frame_type":"stream_data_blocked","stream_id":4,"limit":8000},""" +
            """{"frame_type":"streams_blocked","stream_type":"unidirectional","limit":9},""" +
            """{"frame_type":"new_connection_id","sequence_number":2,"retire_prior_to":1,"connection_id_length":2,"connection_id":"abcd","stateless_reset_token":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"},""" +
            """{"frame_type":"retire_connection_id","sequence_number":1},""" +
            """{"frame_type":"path_challenge","data":"0102030405060708"},""" +
            """{"frame_type":"path_response","data":"fffefdfcfbfaf9f8"},""" +
            """{"frame_type":"connection_close","error_space":"transport","error_code":"flow_control_error","raw_error_code":3,"reason":"too much","trigger_frame_type":8},""" +
            """{"frame_type":"connection_close","error_space":"application","error_code":77,"raw_error_code":77,"reason":"app"},""" +
            """{"frame_type":"handshake_done"},""" +
            """{"frame_type":"datagram","length":300},""" +
            """{"frame_type":"unknown","raw_frame_type":16962}""" +
            "]",
            FramesJson(f));
        Assert.Equal(0, f.Count);
    }

    [Fact]
    public void Ack_ranges_can_be_added_one_by_one()
    {
        var f = new QlogFrameList();
        f.BeginAck(TimeSpan.Zero);
        f.AddAckRange(20, 30);
        f.AddAckRange(15, 15);
        f.AddPing();
        Assert.Equal(
            """[{"frame_type":"ack","ack_delay":0,"acked_ranges":[[20,30],[15]]},{"frame_type":"ping"}]""",
            FramesJson(f));
    }

    [Fact]
    public void Ack_range_without_an_open_ack_is_refused()
    {
        var f = new QlogFrameList();
        Assert.Throws<InvalidOperationException>(() => f.AddAckRange(1, 2));
        f.BeginAck(TimeSpan.Zero);
        f.AddPing();
        Assert.Throws<InvalidOperationException>(() => f.AddAckRange(1, 2)); // the ACK was closed by the PING
        f.BeginAck(TimeSpan.Zero);
        Assert.Throws<ArgumentException>(() => f.AddAckRange(3, 2));
    }

    [Fact]
    public void Invalid_UTF8_reason_is_logged_with_replacement_characters()
    {
        var f = new QlogFrameList();
        f.AddConnectionClose(false, 0x0a, 0, [0x62, 0xff, 0x61]);
        var close = JsonDocument.Parse(FramesJson(f)).RootElement[0];
        Assert.Equal("b\uFFFDa", close.GetProperty("reason").GetString());
    }

    [Fact]
    public void Frames_decoded_by_the_frame_reader_are_summarized()
    {
        // Encode a payload with the codec, read it back, and summarize each frame.
        byte[] payload = new byte[512];
        var w = new SpanWriter(payload);
        Assert.True(FrameWriter.TryWriteAck(ref w, [new AckRange(8, 10), new AckRange(2, 5)], ackDelay: 125));
        Assert.True(FrameWriter.TryWrite(ref w, new StreamFrame(4, 100, new byte[30], fin: true)));
        Assert.True(FrameWriter.TryWrite(ref w, new CryptoFrame(7, new byte[5])));
        Assert.True(FrameWriter.TryWrite(ref w, new MaxStreamsFrame(false, 12)));
        Assert.True(FrameWriter.TryWrite(ref w, new NewConnectionIdFrame(3, 0, new byte[] { 1, 2, 3, 4 }, new byte[16])));
        Assert.True(FrameWriter.TryWrite(ref w, new PathChallengeFrame(0x1122334455667788)));
        Assert.True(FrameWriter.TryWriteConnectionClose(ref w, TransportErrorCode.ProtocolViolation, 0x06, "x"u8));
        Assert.True(FrameWriter.TryWritePing(ref w));
        Assert.True(FrameWriter.TryWritePadding(ref w, 9));
        int length = w.Position;

        var list = new QlogFrameList();
        var reader = new FrameReader(payload.AsSpan(0, length), EncryptionLevel.OneRtt);
        FrameReadResult result;
        while ((result = reader.ReadNext(out Frame frame)) == FrameReadResult.Frame)
            list.Add(frame, ackDelayExponent: 3);
        Assert.Equal(FrameReadResult.End, result);

        Assert.Equal(
            "[" +
            """{"frame_type":"ack","ack_delay":1,"acked_ranges":[[8,10],[2,5]]},""" +
            """{"frame_type":"stream","stream_id":4,"offset":100,"length":30,"fin":true},""" +
            """{"frame_type":"crypto","offset":7,"length":5},""" +
            """{"frame_type":"max_streams","stream_type":"unidirectional","maximum":12},""" +
            """{"frame_type":"new_connection_id","sequence_number":3,"retire_prior_to":0,"connection_id_length":4,"connection_id":"01020304","stateless_reset_token":"00000000000000000000000000000000"},""" +
            """{"frame_type":"path_challenge","data":"1122334455667788"},""" +
            """{"frame_type":"connection_close","error_space":"transport","error_code":"protocol_violation","raw_error_code":10,"reason":"x","trigger_frame_type":6},""" +
            """{"frame_type":"ping"},""" +
            """{"frame_type":"padding","length":9,"payload_length":9}""" +
            "]",
            FramesJson(list));
    }

    [Fact]
    public void Storage_grows_for_large_packets_and_is_reused()
    {
        var f = new QlogFrameList();
        f.BeginAck(TimeSpan.Zero);
        for (ulong i = 0; i < 500; i++) f.AddAckRange(i * 3, i * 3 + 1);
        for (int i = 0; i < 100; i++) f.AddNewConnectionId((ulong)i, 0, new byte[20], new byte[16]);
        Assert.Equal(101, f.Count);
        var frames = JsonDocument.Parse(FramesJson(f)).RootElement;
        Assert.Equal(101, frames.GetArrayLength());
        Assert.Equal(500, frames[0].GetProperty("acked_ranges").GetArrayLength());
        Assert.Equal("[1497,1498]", frames[0].GetProperty("acked_ranges")[499].GetRawText());
        Assert.Equal(99, frames[100].GetProperty("sequence_number").GetInt32());
    }

    [Fact]
    public void Clear_forgets_everything()
    {
        var f = new QlogFrameList();
        f.AddConnectionClose(true, 1, 0, "reason");
        f.BeginAck(TimeSpan.Zero);
        f.Clear();
        Assert.Equal(0, f.Count);
        Assert.Throws<InvalidOperationException>(() => f.AddAckRange(1, 2));
        f.AddPing();
        Assert.Equal("""[{"frame_type":"ping"}]""", FramesJson(f));
    }
}
