using System.Text.Json;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Connection;
using Transport.Quic.Qlog;
using Transport.Quic.Tests.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Qlog;

/// <summary>Collects each connection's trace in memory.</summary>
internal sealed class MemoryQlogFactory : IQlogWriterFactory
{
    public List<(ConnectionId Odcid, QlogVantagePoint VantagePoint, MemoryStream Stream, QlogWriter Writer)> Traces { get; } = new();

    public QlogWriter? Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime)
    {
        var stream = new MemoryStream();
        var writer = new QlogWriter(stream, vantagePoint, originalDestinationConnectionId, referenceTime, leaveOpen: true);
        Traces.Add((originalDestinationConnectionId, vantagePoint, stream, writer));
        return writer;
    }

    public MemoryStream Single(QlogVantagePoint vantagePoint) => Traces.Single(t => t.VantagePoint == vantagePoint).Stream;
}

/// <summary>A factory over a stream that fails after some bytes (disk full).</summary>
internal sealed class FailingQlogFactory(int failAfterBytes) : IQlogWriterFactory
{
    public List<QlogWriter> Writers { get; } = new();

    public QlogWriter? Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime)
    {
        var writer = new QlogWriter(new FailingStream(failAfterBytes), vantagePoint, originalDestinationConnectionId, referenceTime);
        Writers.Add(writer);
        return writer;
    }

    private sealed class FailingStream(int limit) : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_length + buffer.Length > limit) throw new IOException("No space left on device (test).");
            _length += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    }
}

public class ConnectionQlogTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> FrameTypes =
    [
        "padding", "ping", "ack", "reset_stream", "stop_sending", "crypto", "new_token", "stream", "max_data",
        "max_stream_data", "max_streams", "data_blocked", "stream_data_blocked", "streams_blocked", "new_connection_id",
        "retire_connection_id", "path_challenge", "path_response", "connection_close", "handshake_done", "datagram", "unknown",
    ];

    private static List<JsonElement> Events(MemoryStream stream, out JsonElement header)
    {
        var records = QlogTestSupport.Records(stream);
        Assert.NotEmpty(records);
        header = JsonDocument.Parse(records[0]).RootElement.Clone();
        return QlogTestSupport.Events(stream);
    }

    private static string Name(JsonElement e) => e.GetProperty("name").GetString()!;

    private static IEnumerable<JsonElement> Named(List<JsonElement> events, string name) => events.Where(e => Name(e) == name);

    private static JsonElement Data(JsonElement e) => e.GetProperty("data");

    /// <summary>Checks a packet event's frames; returns the stream bytes it carried.</summary>
    private static long CheckFrames(JsonElement packetEvent)
    {
        var data = Data(packetEvent);
        Assert.True(data.GetProperty("raw").GetProperty("length").GetInt32() > 0);
        var header = data.GetProperty("header");
        Assert.Contains(header.GetProperty("packet_type").GetString(), new[] { "initial", "handshake", "0RTT", "1RTT" });
        Assert.True(header.GetProperty("packet_number").GetInt64() >= 0);
        var frames = data.GetProperty("frames");
        Assert.Equal(JsonValueKind.Array, frames.ValueKind);
        Assert.True(frames.GetArrayLength() > 0, $"no frames in {packetEvent}");
        long streamBytes = 0;
        foreach (var f in frames.EnumerateArray())
        {
            string type = f.GetProperty("frame_type").GetString()!;
            Assert.Contains(type, FrameTypes);
            switch (type)
            {
                case "stream":
                    Assert.True(f.GetProperty("stream_id").GetInt64() >= 0);
                    Assert.True(f.GetProperty("offset").GetInt64() >= 0);
                    streamBytes += f.GetProperty("length").GetInt64();
                    break;
                case "crypto":
                    Assert.True(f.GetProperty("offset").GetInt64() >= 0);
                    Assert.True(f.GetProperty("length").GetInt64() > 0);
                    break;
                case "ack":
                    var ranges = f.GetProperty("acked_ranges");
                    Assert.True(ranges.GetArrayLength() > 0);
                    long previousSmallest = long.MaxValue;
                    foreach (var r in ranges.EnumerateArray())
                    {
                        long lo = r[0].GetInt64(), hi = r.GetArrayLength() == 2 ? r[1].GetInt64() : lo;
                        Assert.True(lo <= hi && hi < previousSmallest, $"bad ack ranges in {f}");
                        previousSmallest = lo;
                    }
                    break;
            }
        }
        return streamBytes;
    }

    [Fact]
    public void Lossy_transfer_with_key_updates_is_traced_on_both_sides_and_matches_the_statistics()
    {
        var qlogs = new MemoryQlogFactory();
        var link = new LinkConditions { Delay = TimeSpan.FromMilliseconds(15), LossRate = 0.03, Mtu = 1500 }; // Mtu: an Ethernet path; PMTU discovery would otherwise grow datagrams to 64 KiB and the packet counts this test relies on would shrink
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => { o.Qlog = qlogs; o.KeyUpdateIntervalPackets = 150; }),
            ConnectionPair.ServerOptions(o => { o.Qlog = qlogs; o.KeyUpdateIntervalPackets = 400; }),
            link, seed: 7);
        Assert.True(pair.Client.IsQlogEnabled && pair.Server.IsQlogEnabled);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 400_000);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete), "transfer did not complete");
        Assert.Empty(app.Errors);
        pair.Client.Close(0, "done");
        Assert.True(pair.RunUntil(() => pair.Client.IsTerminated && pair.Server.IsTerminated), "close did not finish");

        Assert.Equal(2, qlogs.Traces.Count);
        // To look at the traces in qvis: TRANSPORT_QLOG_TEST_DIR=/some/dir dotnet test --filter Lossy_transfer
        if (Environment.GetEnvironmentVariable("TRANSPORT_QLOG_TEST_DIR") is { Length: > 0 } dumpDirectory)
        {
            Directory.CreateDirectory(dumpDirectory);
            foreach (var t in qlogs.Traces)
                File.WriteAllBytes(Path.Combine(dumpDirectory, QlogFileFactory.GetFileName(t.Odcid, t.VantagePoint)), t.Stream.ToArray());
        }
        foreach (var (odcid, vantagePoint, stream, writer) in qlogs.Traces)
        {
            var connection = vantagePoint == QlogVantagePoint.Client ? pair.Client : pair.Server;
            var stats = connection.GetStatistics();
            Assert.Null(connection.QlogFailure);
            Assert.False(writer.IsEnabled); // disposed at termination
            Assert.Equal(pair.Client.OriginalDestinationConnectionId, odcid);

            var events = Events(stream, out var header);
            Assert.Equal("0.3", header.GetProperty("qlog_version").GetString());
            Assert.Equal("JSON-SEQ", header.GetProperty("qlog_format").GetString());
            var trace = header.GetProperty("trace");
            Assert.Equal(vantagePoint == QlogVantagePoint.Client ? "client" : "server", trace.GetProperty("vantage_point").GetProperty("type").GetString());
            Assert.Equal(odcid.ToString(), trace.GetProperty("common_fields").GetProperty("group_id").GetString());

            // Times never go backwards, every event has data.
            double last = 0;
            foreach (var e in events)
            {
                double t = e.GetProperty("time").GetDouble();
                Assert.True(t >= last);
                last = t;
                Assert.Equal(JsonValueKind.Object, Data(e).ValueKind);
            }

            var sent = Named(events, "transport:packet_sent").ToList();
            var received = Named(events, "transport:packet_received").ToList();
            var lost = Named(events, "recovery:packet_lost").ToList();
            var dropped = Named(events, "transport:packet_dropped").ToList();
            output.WriteLine($"{vantagePoint}: {events.Count} events, sent {sent.Count}, received {received.Count}, lost {lost.Count}, dropped {dropped.Count}, key updates {stats.KeyUpdates}, {stream.Length} bytes");
            Assert.Equal(stats.PacketsSent, sent.Count);
            Assert.Equal(stats.PacketsReceived, received.Count);
            Assert.Equal(stats.PacketsLost, lost.Count);
            Assert.Equal(stats.PacketsDropped, dropped.Count);
            Assert.True(lost.Count > 0, "the lossy link lost nothing: the test proves less than it should");
            Assert.Equal(stats.BytesSent, sent.Sum(e => Data(e).GetProperty("raw").GetProperty("length").GetInt64()));

            long streamBytesSent = 0;
            foreach (var e in sent) streamBytesSent += CheckFrames(e);
            foreach (var e in received) CheckFrames(e);
            Assert.Equal(stats.StreamBytesSent + stats.StreamBytesRetransmitted, streamBytesSent);

            // Every lost packet number was sent before, in the same packet type.
            var sentKeys = sent.Select(e => (Data(e).GetProperty("header").GetProperty("packet_type").GetString(), Data(e).GetProperty("header").GetProperty("packet_number").GetInt64())).ToHashSet();
            foreach (var e in lost)
            {
                var h = Data(e).GetProperty("header");
                Assert.Contains((h.GetProperty("packet_type").GetString(), h.GetProperty("packet_number").GetInt64()), sentKeys);
                Assert.Contains(Data(e).GetProperty("trigger").GetString(), new[] { "reordering_threshold", "time_threshold" });
            }

            var metrics = Named(events, "recovery:metrics_updated").Select(Data).ToList();
            Assert.Contains(metrics, m => m.TryGetProperty("congestion_window", out _));
            Assert.Contains(metrics, m => m.TryGetProperty("smoothed_rtt", out _));
            Assert.Contains(metrics, m => m.TryGetProperty("bytes_in_flight", out _));
            Assert.All(metrics, m => Assert.NotEmpty(m.EnumerateObject())); // only changes, never empty
            var states = Named(events, "recovery:congestion_state_updated").Select(e => Data(e).GetProperty("new").GetString()).ToList();
            Assert.Equal("slow_start", states[0]);
            if (stats.CongestionEvents > 0) Assert.Contains("recovery", states);

            // Keys: Initial, Handshake, 1-RTT from TLS, then key updates with generations counting up.
            var keys = Named(events, "security:key_updated").Select(Data).ToList();
            foreach (string type in new[] { "client_initial_secret", "server_initial_secret", "client_handshake_secret", "server_handshake_secret", "client_1rtt_secret", "server_1rtt_secret" })
                Assert.Contains(keys, k => k.GetProperty("key_type").GetString() == type);
            var updates = keys.Where(k => k.TryGetProperty("generation", out var g) && g.GetInt32() > 0).ToList();
            Assert.True(stats.KeyUpdates >= 2, $"only {stats.KeyUpdates} key updates");
            Assert.True(updates.Count >= 2 * stats.KeyUpdates, $"{updates.Count} key_updated events for {stats.KeyUpdates} key updates");
            // The client's interval is the shorter: it starts the updates (local), the server follows (remote).
            Assert.Contains(updates, k => k.GetProperty("trigger").GetString() == (vantagePoint == QlogVantagePoint.Client ? "local_update" : "remote_update"));
            Assert.Contains(Named(events, "security:key_retired"), e => Data(e).GetProperty("key_type").GetString() == "client_handshake_secret");

            var parameters = Named(events, "transport:parameters_set").Select(Data).ToList();
            Assert.Contains(parameters, p => p.GetProperty("owner").GetString() == "local");
            Assert.Contains(parameters, p => p.GetProperty("owner").GetString() == "remote" && p.GetProperty("initial_max_data").GetInt64() > 0);
            Assert.Single(Named(events, "connectivity:connection_started"));
            Assert.Contains(Named(events, "connectivity:connection_state_updated"), e => Data(e).GetProperty("new").GetString() == "handshake_confirmed");
            Assert.Equal(ConnectionPair.Alpn.ToString(), Data(Named(events, "transport:alpn_information").Single()).GetProperty("chosen_alpn").GetString());

            // The end: connection_closed once, with the owner and code of the close; the last record says closed.
            var closed = Data(Named(events, "connectivity:connection_closed").Single());
            Assert.Equal(vantagePoint == QlogVantagePoint.Client ? "local" : "remote", closed.GetProperty("owner").GetString());
            Assert.Equal(0, closed.GetProperty("application_code").GetInt64());
            Assert.Equal("clean", closed.GetProperty("trigger").GetString());
            Assert.Equal("closed", Data(events[^1]).GetProperty("new").GetString());
            int closedIndex = events.FindIndex(e => Name(e) == "connectivity:connection_closed");
            Assert.DoesNotContain(events.Skip(closedIndex + 1), e => Name(e) == "transport:packet_received");
            if (vantagePoint == QlogVantagePoint.Client)
            {
                // After the close only CONNECTION_CLOSE goes out.
                foreach (var e in events.Skip(closedIndex + 1).Where(e => Name(e) == "transport:packet_sent"))
                    Assert.Contains(Data(e).GetProperty("frames").EnumerateArray(), f => f.GetProperty("frame_type").GetString() == "connection_close");
            }
        }
    }

    [Fact]
    public void Duplicated_and_corrupted_packets_are_logged_as_dropped_with_a_reason()
    {
        var qlogs = new MemoryQlogFactory();
        var link = new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), DuplicateRate = 0.05, CorruptRate = 0.02 };
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.Qlog = qlogs), ConnectionPair.ServerOptions(o => o.Qlog = qlogs), link, seed: 3);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 200_000);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete));
        foreach (var (_, vantagePoint, stream, writer) in qlogs.Traces)
        {
            writer.Flush();
            var connection = vantagePoint == QlogVantagePoint.Client ? pair.Client : pair.Server;
            var dropped = Named(QlogTestSupport.Events(stream), "transport:packet_dropped").Select(Data).ToList();
            Assert.Equal(connection.GetStatistics().PacketsDropped, dropped.Count);
            Assert.All(dropped, d => Assert.True(d.TryGetProperty("trigger", out _)));
            Assert.Contains(dropped, d => d.GetProperty("trigger").GetString() == "duplicate");
            Assert.Contains(dropped, d => d.GetProperty("trigger").GetString() is "payload_decrypt_error" or "header_parse_error");
        }
    }

    [Fact]
    public void A_failing_qlog_stream_disables_the_trace_and_never_harms_the_connection()
    {
        var failing = new FailingQlogFactory(failAfterBytes: 40_000);
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.Qlog = failing), ConnectionPair.ServerOptions(o => o.Qlog = failing),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), LossRate = 0.01 }, seed: 5);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 300_000);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete));
        Assert.Empty(app.Errors);
        Assert.IsType<IOException>(pair.Client.QlogFailure);
        Assert.IsType<IOException>(pair.Server.QlogFailure);
        Assert.False(pair.Client.IsQlogEnabled);
        Assert.Equal(0, pair.Client.GetStatistics().InternalErrors);
    }

    private sealed class ThrowingFactory : IQlogWriterFactory
    {
        public QlogWriter? Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime) =>
            throw new UnauthorizedAccessException("test");
    }

    [Fact]
    public void A_throwing_factory_leaves_the_connection_without_a_trace()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.Qlog = new ThrowingFactory()), ConnectionPair.ServerOptions());
        Assert.IsType<UnauthorizedAccessException>(pair.Client.QlogFailure);
        Assert.False(pair.Client.IsQlogEnabled);
        Assert.True(pair.CompleteHandshake());
    }

    [Fact]
    public void A_qlog_file_that_cannot_be_created_is_reported_on_the_connection_and_counted()
    {
        string blocker = Path.GetTempFileName(); // a file where the directory should be
        try
        {
            var files = new QlogFileFactory(blocker);
            using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.Qlog = files), ConnectionPair.ServerOptions());
            Assert.False(pair.Client.IsQlogEnabled);
            Assert.NotNull(pair.Client.QlogFailure);
            Assert.Same(files.LastFailure, pair.Client.QlogFailure);
            Assert.Equal(1, files.FailureCount);
            Assert.True(pair.CompleteHandshake());
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public void A_retried_connection_is_traced_under_the_clients_first_connection_id_on_both_sides()
    {
        var qlogs = new MemoryQlogFactory();
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.Qlog = qlogs), ConnectionPair.ServerOptions(o => o.Qlog = qlogs), useRetry: true);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(2, qlogs.Traces.Count);
        Assert.All(qlogs.Traces, t => Assert.Equal(pair.Client.OriginalDestinationConnectionId, t.Odcid));
        var writer = qlogs.Traces.Single(t => t.VantagePoint == QlogVantagePoint.Client).Writer;
        writer.Flush();
        var events = QlogTestSupport.Events(qlogs.Single(QlogVantagePoint.Client));
        Assert.Single(events, e => Name(e) == "transport:packet_received" && Data(e).GetProperty("header").GetProperty("packet_type").GetString() == "retry");
        Assert.Equal(pair.Client.GetStatistics().PacketsReceived, Named(events, "transport:packet_received").Count());
    }

    [Fact]
    public void Zero_rtt_packets_and_keys_are_traced_and_the_early_secret_is_key_logged()
    {
        var ticketKeys = new Transport.Quic.Tls.TlsSessionTicketKeys();
        Action<ConnectionOptions> server = o => { o.ServerTls!.SessionTicketKeys = ticketKeys; o.ServerTls.EnableEarlyData = true; };
        Transport.Quic.Tls.TlsSessionTicket ticket;
        using (var first = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(server)))
        {
            Assert.True(first.CompleteHandshake());
            Assert.True(first.RunUntil(() => first.Client.SessionTicket is not null, 10_000));
            ticket = first.Client.SessionTicket!;
        }

        var qlogs = new MemoryQlogFactory();
        var clientKeys = new List<string>();
        var serverKeys = new List<string>();
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o =>
            {
                o.ClientTls!.SessionTicket = ticket;
                o.ClientTls.EnableEarlyData = true;
                o.Qlog = qlogs;
                o.KeyLog = clientKeys.Add;
            }),
            ConnectionPair.ServerOptions(o => { server(o); o.Qlog = qlogs; o.KeyLog = serverKeys.Add; }),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(25) });
        Assert.True(pair.Client.CanSendEarlyData);
        Assert.True(pair.Client.TryOpenStream(bidirectional: true, out long id));
        pair.Client.WriteStream(id, new byte[3000], fin: true);
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromMilliseconds(300));

        var clientStats = pair.Client.GetStatistics();
        var serverStats = pair.Server.GetStatistics();
        Assert.True(clientStats.ZeroRttPacketsSent > 0);
        foreach (var t in qlogs.Traces) t.Writer.Flush();
        var clientEvents = QlogTestSupport.Events(qlogs.Single(QlogVantagePoint.Client));
        var serverEvents = QlogTestSupport.Events(qlogs.Single(QlogVantagePoint.Server));
        static bool Is0Rtt(JsonElement e) => Data(e).GetProperty("header").GetProperty("packet_type").GetString() == "0RTT";
        Assert.Equal(clientStats.ZeroRttPacketsSent, Named(clientEvents, "transport:packet_sent").Count(Is0Rtt));
        Assert.Equal(serverStats.ZeroRttPacketsReceived, Named(serverEvents, "transport:packet_received").Count(Is0Rtt));
        Assert.True(serverStats.ZeroRttPacketsReceived > 0);
        foreach (var events in new[] { clientEvents, serverEvents })
        {
            Assert.Contains(Named(events, "security:key_updated"), e => Data(e).GetProperty("key_type").GetString() == "client_0rtt_secret");
            foreach (var e in Named(events, "transport:packet_sent").Concat(Named(events, "transport:packet_received")).Where(Is0Rtt))
                Assert.All(Data(e).GetProperty("frames").EnumerateArray(),
                    f => Assert.Contains(f.GetProperty("frame_type").GetString(), new[] { "stream", "padding", "ping", "datagram" }));
        }
        string early = Assert.Single(clientKeys, l => l.StartsWith("CLIENT_EARLY_TRAFFIC_SECRET ", StringComparison.Ordinal));
        Assert.Contains(early, serverKeys);
    }
}
