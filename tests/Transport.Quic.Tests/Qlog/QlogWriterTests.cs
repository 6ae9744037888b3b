using System.Net;
using System.Text.Json;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Quic.Parameters;
using Transport.Quic.Qlog;
using Transport.Reliable;
using Transport.Reliable.Congestion;
using static Transport.Quic.Tests.Qlog.QlogTestSupport;

namespace Transport.Quic.Tests.Qlog;

public class QlogWriterTests
{
    [Fact]
    public void Header_is_the_first_record_with_qlog_0_3_JSON_SEQ_fields()
    {
        var (writer, stream) = NewWriter(QlogVantagePoint.Server);
        writer.Dispose();
        var records = Records(stream);
        Assert.Single(records);
        Assert.Equal(
            """{"qlog_version":"0.3","qlog_format":"JSON-SEQ","trace":{"common_fields":{"protocol_type":["QUIC"],"group_id":"8394c8f03e515708","time_format":"relative","reference_time":1767225600000},"vantage_point":{"type":"server"}}}""",
            records[0]);
        // main-schema-03: qlog_version and qlog_format SHOULD be within the first 256 bytes.
        Assert.True(records[0].IndexOf("\"qlog_format\"", StringComparison.Ordinal) < 256);
    }

    [Fact]
    public void Header_carries_title_and_vantage_point_name_when_given()
    {
        var stream = new MemoryStream();
        using (var writer = new QlogWriter(stream, QlogVantagePoint.Client, Odcid, Reference, Wall, leaveOpen: true, title: "t"))
        {
        }
        var header = JsonDocument.Parse(Records(stream)[0]).RootElement;
        Assert.Equal("t", header.GetProperty("title").GetString());
        var vp = header.GetProperty("trace").GetProperty("vantage_point");
        Assert.Equal("Transport", vp.GetProperty("name").GetString());
        Assert.Equal("client", vp.GetProperty("type").GetString());
    }

    [Fact]
    public void Packet_sent_golden()
    {
        var (writer, stream) = NewWriter();
        var scid = new ConnectionId(new byte[] { 0xc1, 0x01 });
        writer.Frames.AddCrypto(0, 287);
        writer.Frames.AddPadding(917);
        writer.PacketSent(At(12.5), PacketType.Initial, 0, 1252, writer.Frames,
            sourceConnectionId: scid, destinationConnectionId: Odcid);
        Assert.Equal(
            """{"time":12.5,"name":"transport:packet_sent","data":{"header":{"packet_type":"initial","packet_number":0,"scid":"c101","dcid":"8394c8f03e515708"},"frames":[{"frame_type":"crypto","offset":0,"length":287},{"frame_type":"padding","length":917,"payload_length":917}],"raw":{"length":1252}}}""",
            LastRecord(writer, stream));
        Assert.Equal(0, writer.Frames.Count); // cleared for the next packet
    }

    [Fact]
    public void Packet_sent_with_trigger_and_coalescing()
    {
        var (writer, stream) = NewWriter();
        writer.Frames.AddPing();
        writer.PacketSent(At(3), PacketType.Handshake, 7, 60, writer.Frames, QlogPacketSentTrigger.PtoProbe, isCoalesced: true);
        Assert.Equal(
            """{"time":3,"name":"transport:packet_sent","data":{"header":{"packet_type":"handshake","packet_number":7},"frames":[{"frame_type":"ping"}],"is_coalesced":true,"raw":{"length":60},"trigger":"pto_probe"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Packet_received_golden_with_stream_and_ack()
    {
        var (writer, stream) = NewWriter();
        var f = writer.Frames;
        f.AddAck(TimeSpan.FromMicroseconds(1500), [new AckRange(10, 12), new AckRange(7, 7)]);
        f.AddStream(4, 1000, 1200, fin: true);
        writer.PacketReceived(At(20.25), PacketType.OneRtt, 42, 1252, f);
        Assert.Equal(
            """{"time":20.25,"name":"transport:packet_received","data":{"header":{"packet_type":"1RTT","packet_number":42},"frames":[{"frame_type":"ack","ack_delay":1.5,"acked_ranges":[[10,12],[7]]},{"frame_type":"stream","stream_id":4,"offset":1000,"length":1200,"fin":true}],"raw":{"length":1252}}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Packet_received_after_buffering_has_keys_available_trigger()
    {
        var (writer, stream) = NewWriter();
        writer.PacketReceived(At(1), PacketType.ZeroRtt, 0, 100, wasBuffered: true);
        var data = Single(writer, stream).GetProperty("data");
        Assert.Equal("0RTT", data.GetProperty("header").GetProperty("packet_type").GetString());
        Assert.Equal("keys_available", data.GetProperty("trigger").GetString());
        Assert.False(data.TryGetProperty("frames", out _));
    }

    [Fact]
    public void Packet_dropped_golden()
    {
        var (writer, stream) = NewWriter();
        writer.PacketDropped(At(5), PacketType.Handshake, 1200, QlogPacketDropReason.KeyUnavailable);
        Assert.Equal(
            """{"time":5,"name":"transport:packet_dropped","data":{"header":{"packet_type":"handshake"},"raw":{"length":1200},"trigger":"key_unavailable"}}""",
            LastRecord(writer, stream));
        writer.PacketDropped(At(6), null, 33, QlogPacketDropReason.HeaderParseError);
        var data = JsonDocument.Parse(LastRecord(writer, stream)).RootElement.GetProperty("data");
        Assert.Equal("unknown", data.GetProperty("header").GetProperty("packet_type").GetString());
        Assert.Equal("header_parse_error", data.GetProperty("trigger").GetString());
    }

    [Fact]
    public void Packet_buffered_names_keys_unavailable()
    {
        var (writer, stream) = NewWriter();
        writer.PacketBuffered(At(1), PacketType.OneRtt, 80);
        var e = Single(writer, stream);
        Assert.Equal("transport:packet_buffered", e.GetProperty("name").GetString());
        Assert.Equal("keys_unavailable", e.GetProperty("data").GetProperty("trigger").GetString());
    }

    [Fact]
    public void Packet_lost_golden_by_type_and_by_space()
    {
        var (writer, stream) = NewWriter();
        writer.Frames.AddStream(0, 0, 100, fin: false);
        writer.PacketLost(At(30), PacketType.OneRtt, 9, QlogPacketLostTrigger.TimeThreshold, writer.Frames);
        Assert.Equal(
            """{"time":30,"name":"recovery:packet_lost","data":{"header":{"packet_type":"1RTT","packet_number":9},"frames":[{"frame_type":"stream","stream_id":0,"offset":0,"length":100}],"trigger":"time_threshold"}}""",
            LastRecord(writer, stream));

        writer.PacketLost(At(31), PacketNumberSpace.Handshake, 3, QlogPacketLostTrigger.ReorderingThreshold);
        Assert.Equal(
            """{"time":31,"name":"recovery:packet_lost","data":{"header":{"packet_type":"handshake","packet_number":3},"trigger":"reordering_threshold"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Metrics_updated_golden_and_only_changes_are_logged()
    {
        var (writer, stream) = NewWriter();
        writer.MetricsUpdated(At(40), minRtt: TimeSpan.FromMilliseconds(20), smoothedRtt: TimeSpan.FromMicroseconds(25_125),
            latestRtt: TimeSpan.FromMilliseconds(30), rttVariance: TimeSpan.FromMilliseconds(5), congestionWindow: 12000,
            bytesInFlight: 2400, ssthresh: long.MaxValue, pacingRateBytesPerSecond: 500_000, ptoCount: 0);
        Assert.Equal(
            """{"time":40,"name":"recovery:metrics_updated","data":{"min_rtt":20,"smoothed_rtt":25.125,"latest_rtt":30,"rtt_variance":5,"pto_count":0,"congestion_window":12000,"bytes_in_flight":2400,"pacing_rate":4000000}}""",
            LastRecord(writer, stream));

        // Same values again: nothing is written.
        writer.MetricsUpdated(At(41), minRtt: TimeSpan.FromMilliseconds(20), smoothedRtt: TimeSpan.FromMicroseconds(25_125),
            latestRtt: TimeSpan.FromMilliseconds(30), rttVariance: TimeSpan.FromMilliseconds(5), congestionWindow: 12000,
            bytesInFlight: 2400, ssthresh: long.MaxValue, pacingRateBytesPerSecond: 500_000, ptoCount: 0);
        writer.Flush();
        Assert.Single(Events(stream));

        // Only bytes_in_flight and ssthresh changed.
        writer.MetricsUpdated(At(42), minRtt: TimeSpan.FromMilliseconds(20), smoothedRtt: TimeSpan.FromMicroseconds(25_125),
            latestRtt: TimeSpan.FromMilliseconds(30), rttVariance: TimeSpan.FromMilliseconds(5), congestionWindow: 12000,
            bytesInFlight: 1200, ssthresh: 6000, pacingRateBytesPerSecond: 500_000, ptoCount: 0);
        Assert.Equal(
            """{"time":42,"name":"recovery:metrics_updated","data":{"bytes_in_flight":1200,"ssthresh":6000}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Congestion_state_updated_golden()
    {
        var (writer, stream) = NewWriter();
        writer.CongestionStateUpdated(At(50), CongestionState.SlowStart, CongestionState.Recovery);
        Assert.Equal(
            """{"time":50,"name":"recovery:congestion_state_updated","data":{"old":"slow_start","new":"recovery"}}""",
            LastRecord(writer, stream));
        writer.CongestionStateUpdated(At(51), null, CongestionState.ProbeBwUp, QlogCongestionStateTrigger.PersistentCongestion);
        Assert.Equal(
            """{"time":51,"name":"recovery:congestion_state_updated","data":{"new":"probe_bw_up","trigger":"persistent_congestion"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Key_updated_and_retired_golden_without_key_material()
    {
        var (writer, stream) = NewWriter();
        writer.KeyUpdated(At(60), QlogWriter.KeyTypeOf(EncryptionLevel.OneRtt, serverSecret: true), QlogKeyUpdateTrigger.RemoteUpdate, 1);
        Assert.Equal(
            """{"time":60,"name":"security:key_updated","data":{"key_type":"server_1rtt_secret","generation":1,"trigger":"remote_update"}}""",
            LastRecord(writer, stream));
        writer.KeyRetired(At(61), QlogKeyType.ClientHandshakeSecret, QlogKeyUpdateTrigger.Tls);
        Assert.Equal(
            """{"time":61,"name":"security:key_retired","data":{"key_type":"client_handshake_secret","trigger":"tls"}}""",
            LastRecord(writer, stream));
    }

    [Theory]
    [InlineData(EncryptionLevel.Initial, false, QlogKeyType.ClientInitialSecret)]
    [InlineData(EncryptionLevel.Initial, true, QlogKeyType.ServerInitialSecret)]
    [InlineData(EncryptionLevel.ZeroRtt, false, QlogKeyType.Client0RttSecret)]
    [InlineData(EncryptionLevel.Handshake, true, QlogKeyType.ServerHandshakeSecret)]
    [InlineData(EncryptionLevel.OneRtt, false, QlogKeyType.Client1RttSecret)]
    public void Key_type_of_level_and_side(EncryptionLevel level, bool server, QlogKeyType expected) =>
        Assert.Equal(expected, QlogWriter.KeyTypeOf(level, server));

    [Theory]
    [InlineData(EncryptionLevel.Initial, PacketType.Initial)]
    [InlineData(EncryptionLevel.ZeroRtt, PacketType.ZeroRtt)]
    [InlineData(EncryptionLevel.Handshake, PacketType.Handshake)]
    [InlineData(EncryptionLevel.OneRtt, PacketType.OneRtt)]
    public void Packet_type_of_level(EncryptionLevel level, PacketType expected) =>
        Assert.Equal(expected, QlogWriter.PacketTypeOf(level));

    [Fact]
    public void Connection_started_golden()
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionStarted(At(0), new IPEndPoint(IPAddress.Parse("10.0.0.1"), 50000),
            new IPEndPoint(IPAddress.Parse("10.0.0.2"), 443), new ConnectionId(new byte[] { 0xaa, 0xbb }), Odcid);
        Assert.Equal(
            """{"time":0,"name":"connectivity:connection_started","data":{"ip_version":"v4","src_ip":"10.0.0.1","dst_ip":"10.0.0.2","protocol":"QUIC","src_port":50000,"dst_port":443,"src_cid":"aabb","dst_cid":"8394c8f03e515708"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Connection_started_without_addresses_logs_connection_ids_only()
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionStarted(At(0), null, null, ConnectionId.Empty, Odcid);
        Assert.Equal(
            """{"time":0,"name":"connectivity:connection_started","data":{"protocol":"QUIC","src_cid":"","dst_cid":"8394c8f03e515708"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Connection_closed_golden_flushes_by_itself()
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionClosed(At(70), QlogOwner.Remote, (ulong)TransportErrorCode.ProtocolViolation, null, "bad frame",
            QlogConnectionCloseTrigger.Error);
        // No Flush: connection_closed flushes.
        var records = Records(stream);
        Assert.Equal(
            """{"time":70,"name":"connectivity:connection_closed","data":{"owner":"remote","connection_code":"protocol_violation","reason":"bad frame","trigger":"error"}}""",
            records[^1]);
    }

    [Theory]
    [InlineData(0x00UL, "\"no_error\"")]
    [InlineData(0x0eUL, "\"key_update_error\"")]
    [InlineData(0x10UL, "\"no_viable_path\"")]
    [InlineData(0x12aUL, "\"crypto_error_0x12a\"")]
    [InlineData(0x100UL, "\"crypto_error_0x100\"")]
    [InlineData(0x4242UL, "16962")]
    public void Connection_closed_names_transport_errors(ulong code, string expectedJson)
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionClosed(At(1), QlogOwner.Local, code, null, null);
        var data = Single(writer, stream).GetProperty("data");
        Assert.Equal(expectedJson, data.GetProperty("connection_code").GetRawText());
    }

    [Fact]
    public void Connection_closed_by_idle_timeout_and_by_application()
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionClosed(At(1), null, null, null, null, QlogConnectionCloseTrigger.IdleTimeout);
        Assert.Equal(
            """{"time":1,"name":"connectivity:connection_closed","data":{"trigger":"idle_timeout"}}""",
            LastRecord(writer, stream));
        var (writer2, stream2) = NewWriter();
        writer2.ConnectionClosed(At(1), QlogOwner.Local, null, 0x100, "bye", QlogConnectionCloseTrigger.Application);
        Assert.Equal(
            """{"time":1,"name":"connectivity:connection_closed","data":{"owner":"local","application_code":256,"reason":"bye","trigger":"application"}}""",
            LastRecord(writer2, stream2));
    }

    [Fact]
    public void Connection_state_updated_golden()
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionStateUpdated(At(2), QlogConnectionState.HandshakeComplete, QlogConnectionState.HandshakeConfirmed);
        Assert.Equal(
            """{"time":2,"name":"connectivity:connection_state_updated","data":{"old":"handshake_complete","new":"handshake_confirmed"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Connection_id_updated_golden()
    {
        var (writer, stream) = NewWriter();
        writer.ConnectionIdUpdated(At(4), QlogOwner.Remote, Odcid, new ConnectionId(new byte[] { 0x0f, 0x0e }));
        Assert.Equal(
            """{"time":4,"name":"connectivity:connection_id_updated","data":{"owner":"remote","old":"8394c8f03e515708","new":"0f0e"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Alpn_information_golden()
    {
        var (writer, stream) = NewWriter();
        writer.AlpnInformation(At(1), ["h3", "hq-interop"], null, "h3");
        Assert.Equal(
            """{"time":1,"name":"transport:alpn_information","data":{"client_alpns":["h3","hq-interop"],"chosen_alpn":"h3"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Version_information_golden()
    {
        var (writer, stream) = NewWriter();
        writer.VersionInformation(At(0), QuicVersion.Version1, [QuicVersion.Version1, QuicVersion.Version2]);
        Assert.Equal(
            """{"time":0,"name":"transport:version_information","data":{"client_versions":["00000001","6b3343cf"],"chosen_version":"00000001"}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Parameters_set_golden()
    {
        var (writer, stream) = NewWriter();
        var p = new TransportParameters
        {
            InitialSourceConnectionId = new ConnectionId(new byte[] { 0x01, 0x02 }),
            MaxIdleTimeoutMs = 30_000,
            InitialMaxData = 1_048_576,
            InitialMaxStreamDataBidiLocal = 262_144,
            InitialMaxStreamDataBidiRemote = 262_144,
            InitialMaxStreamDataUni = 65_536,
            InitialMaxStreamsBidi = 100,
            InitialMaxStreamsUni = 3,
            MaxDatagramFrameSize = 1200,
        };
        writer.ParametersSet(At(1), QlogOwner.Local, p, CipherSuite.Aes128GcmSha256);
        Assert.Equal(
            """{"time":1,"name":"transport:parameters_set","data":{"owner":"local","tls_cipher":"TLS_AES_128_GCM_SHA256","aead_tag_length":16,"initial_source_connection_id":"0102","disable_active_migration":false,"max_idle_timeout":30000,"max_udp_payload_size":65527,"ack_delay_exponent":3,"max_ack_delay":25,"active_connection_id_limit":2,"initial_max_data":1048576,"initial_max_stream_data_bidi_local":262144,"initial_max_stream_data_bidi_remote":262144,"initial_max_stream_data_uni":65536,"initial_max_streams_bidi":100,"initial_max_streams_uni":3,"max_datagram_frame_size":1200}}""",
            LastRecord(writer, stream));
    }

    [Fact]
    public void Parameters_set_of_the_peer_with_reset_token_and_preferred_address()
    {
        var (writer, stream) = NewWriter();
        byte[] token = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var p = new TransportParameters
        {
            OriginalDestinationConnectionId = Odcid,
            StatelessResetToken = token,
            PreferredAddress = new PreferredAddress
            {
                IPv4Endpoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4433),
                ConnectionId = new ConnectionId(new byte[] { 9, 9 }),
                StatelessResetToken = token,
            },
        };
        writer.ParametersSet(At(1), QlogOwner.Remote, p);
        var data = Single(writer, stream).GetProperty("data");
        Assert.Equal("remote", data.GetProperty("owner").GetString());
        Assert.Equal("8394c8f03e515708", data.GetProperty("original_destination_connection_id").GetString());
        Assert.Equal("000102030405060708090a0b0c0d0e0f", data.GetProperty("stateless_reset_token").GetString());
        var pa = data.GetProperty("preferred_address");
        Assert.Equal("192.0.2.1", pa.GetProperty("ip_v4").GetString());
        Assert.Equal(4433, pa.GetProperty("port_v4").GetInt32());
        Assert.Equal("::", pa.GetProperty("ip_v6").GetString());
        Assert.Equal("0909", pa.GetProperty("connection_id").GetString());
        Assert.False(data.TryGetProperty("tls_cipher", out _));
    }

    [Fact]
    public void Every_record_of_a_whole_trace_is_a_valid_JSON_SEQ_record()
    {
        var (writer, stream) = NewWriter(QlogVantagePoint.Server);
        writer.ConnectionStarted(At(0), null, new IPEndPoint(IPAddress.IPv6Loopback, 443), Odcid, Odcid);
        writer.ParametersSet(At(0.5), QlogOwner.Local, new TransportParameters());
        for (ulong pn = 0; pn < 2000; pn++) // > 32 KiB: several writes to the stream
        {
            writer.Frames.AddAck(TimeSpan.FromMilliseconds(1), [new AckRange(0, pn)]);
            writer.Frames.AddStream(0, pn * 1000, 1000, false);
            writer.PacketSent(At(1 + pn), PacketType.OneRtt, pn, 1100, writer.Frames);
            writer.MetricsUpdated(At(1 + pn), bytesInFlight: (long)pn * 1100);
        }
        writer.ConnectionClosed(At(5000), QlogOwner.Local, 0, null, "done", QlogConnectionCloseTrigger.Clean);
        writer.Dispose();
        Assert.True(writer.Failure is null, writer.Failure?.ToString());
        var records = Records(stream);
        Assert.Equal(1 + 2 + 2000 * 2 + 1, records.Count);
        Assert.Equal(stream.Length, writer.BytesWritten);
        var started = JsonDocument.Parse(records[1]).RootElement.GetProperty("data");
        Assert.Equal("v6", started.GetProperty("ip_version").GetString());
        Assert.Equal("::1", started.GetProperty("dst_ip").GetString());
    }
}
