using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Transport.Bench.Remote;
using Transport.Bench.Tour;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Tests;

/// <summary>
/// Server and client in one process on 127.0.0.1 with small sizes. Each test runs under a 60 s deadline (a safety net
/// against hangs on a loaded CI machine, not a timing assertion; an idle machine runs the class in well under 20 s).
/// </summary>
public class RemoteLoopbackTests
{
    private static CancellationTokenSource Deadline() => new(TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData("quic")]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task Sized_upload_and_download_move_exactly_the_bytes_asked_for(string kind)
    {
        RemoteProtocol protocol = Enum.Parse<RemoteProtocol>(kind, ignoreCase: true);
        using CancellationTokenSource deadline = Deadline();
        await using RemoteServerScope scope = await RemoteServerScope.StartAsync(deadline.Token);

        await using (IPerfClientTransport transport = scope.Transport(protocol))
        {
            RemoteMeasurements.Throughput up = await RemoteMeasurements.UploadAsync(transport, streams: 2, bytes: 300_001, TimeSpan.Zero, deadline.Token);
            Assert.Equal(2 * 300_001, up.Bytes);
            Assert.True(up.GigabitsPerSecond > 0);
        }
        // The server received both uploads plus their 8-byte headers and sent nothing.
        long received = 0, sent = 0;
        int connections = protocol == RemoteProtocol.Quic ? 1 : 2;
        for (int i = 0; i < connections; i++)
        {
            PerfConnectionSummary summary = await scope.WaitForEndAsync(kind, deadline.Token);
            received += summary.Received;
            sent += summary.Sent;
        }
        Assert.Equal(2 * (300_001 + 8), received);
        Assert.Equal(0, sent);

        await using (IPerfClientTransport transport = scope.Transport(protocol))
        {
            RemoteMeasurements.Throughput down = await RemoteMeasurements.DownloadAsync(transport, streams: 2, bytes: 200_003, TimeSpan.Zero, deadline.Token);
            Assert.Equal(2 * 200_003, down.Bytes);
        }
        received = 0;
        sent = 0;
        for (int i = 0; i < connections; i++)
        {
            PerfConnectionSummary summary = await scope.WaitForEndAsync(kind, deadline.Token);
            received += summary.Received;
            sent += summary.Sent;
        }
        Assert.Equal(2 * 8, received);
        Assert.Equal(2 * 200_003, sent);
        Assert.Equal(0, scope.Server.StreamsFailed);
    }

    [Fact]
    public async Task A_short_timed_run_of_every_test_fills_every_row_and_results_json()
    {
        using CancellationTokenSource deadline = Deadline();
        await using RemoteServerScope scope = await RemoteServerScope.StartAsync(deadline.Token);
        RemoteClientOptions options = scope.ClientOptions(
            [RemoteProtocol.Quic, RemoteProtocol.Tls, RemoteProtocol.Tcp],
            [RemoteTest.Upload, RemoteTest.Download, RemoteTest.RequestResponse, RemoteTest.Handshakes],
            bytes: null, seconds: 0.1);
        List<TourTable> tables = await RemoteClient.MeasureAsync(options, scope.EndPoint, null, _ => { }, deadline.Token);

        Assert.Equal(["remote-upload", "remote-download", "remote-rr", "remote-handshakes", "remote-ratios"], tables.Select(t => t.Id));
        foreach (TourTable table in tables.Take(4))
        {
            Assert.Equal([RemoteNames.Quic, RemoteNames.Tls, RemoteNames.Tcp], table.Rows.Select(r => r.Contender));
            foreach (TourRow row in table.Rows)
            {
                Assert.True(row.Error is null, $"{table.Id} {row.Contender}: {row.Error}");
                foreach (TourMetric metric in table.Metrics)
                {
                    Assert.True(row.Values.TryGetValue(metric.Name, out double value) && value > 0, $"{table.Id} {row.Contender} {metric.Name}");
                }
            }
        }
        TourTable ratios = tables[^1];
        Assert.Equal(2, ratios.Rows.Count);
        double quicUpload = tables[0].Row(RemoteNames.Quic).Values[RemoteClient.Gbps.Name];
        double tcpUpload = tables[0].Row(RemoteNames.Tcp).Values[RemoteClient.Gbps.Name];
        Assert.Equal(quicUpload / tcpUpload, ratios.Row($"{RemoteNames.Quic} ÷ {RemoteNames.Tcp}").Values["upload throughput"], 9);

        JsonNode json = JsonNode.Parse(RemoteClient.RenderJson(MachineInfo.Current(), options, scope.EndPoint, tables))!;
        JsonArray figures = json["figures"]!.AsArray();
        Assert.Contains(figures, f => (string?)f!["contender"] == RemoteNames.Quic && (string?)f["unit"] == "Gbit/s" && (string?)f["table"] == "remote-download");
        Assert.All(figures, f => Assert.False(string.IsNullOrEmpty((string?)f!["unit"])));
        Assert.Contains("pinned", (string?)json["target"]!["certificate"]);
        string markdown = string.Concat(tables.Take(4).Select(t => MarkdownTableWriter.Render(t, RemoteClient.Reference))) + RemoteClient.RenderRatios(ratios);
        Assert.Contains("| Transport QUIC |", markdown);
        Assert.Contains("Transport QUIC ÷ TCP+TLS 1.3", markdown);
        // Timed downloads asked for an unlimited response and stopped reading: the server took that as their normal end.
        Assert.Equal(0, scope.Server.StreamsFailed);
    }

    [Fact]
    public async Task Bad_quic_streams_end_alone_and_the_server_serves_the_next_client()
    {
        using CancellationTokenSource deadline = Deadline();
        await using RemoteServerScope scope = await RemoteServerScope.StartAsync(deadline.Token);
        await using (QuicConnection connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = scope.EndPoint,
            ConnectionOptions = new ConnectionOptions
            {
                ClientTls = new TlsClientOptions { ServerName = "localhost", ApplicationProtocols = [new SslApplicationProtocol(PerfFraming.Alpn)], PinnedCertificateSha256 = [scope.Pin] },
            },
        }, deadline.Token))
        {
            // A stream that ends after 3 of the 8 header bytes: ignored, closed gracefully (our FIN, no data).
            await using (QuicStream truncated = await connection.OpenOutboundStreamAsync(bidirectional: true, deadline.Token))
            {
                await truncated.WriteAsync(new byte[] { 0, 0, 0 }, completeWrites: true, deadline.Token);
                Assert.Equal(0, await truncated.ReadAsync(new byte[16], deadline.Token));
            }
            await scope.WaitForLineAsync("ended after 3 of 8 header bytes", deadline.Token);

            // A stream reset in the middle of its upload.
            await using (QuicStream reset = await connection.OpenOutboundStreamAsync(bidirectional: true, deadline.Token))
            {
                byte[] header = new byte[8];
                PerfFraming.WriteHeader(header, 1000);
                await reset.WriteAsync(header, deadline.Token);
                await reset.WriteAsync(new byte[5000], deadline.Token);
                reset.Abort(QuicAbortDirection.Write, 7);
                await scope.WaitForLineAsync("reset by the client (code 7)", deadline.Token);
            }

            // The same connection still serves a good stream.
            await using (QuicStream good = await connection.OpenOutboundStreamAsync(bidirectional: true, deadline.Token))
            {
                byte[] request = new byte[8 + 100];
                PerfFraming.WriteHeader(request, 321);
                await good.WriteAsync(request, completeWrites: true, deadline.Token);
                Assert.Equal(321, await PerfFraming.DrainAsync(good, new byte[1024], deadline.Token));
            }
            await connection.CloseAsync(0, deadline.Token);
        }
        Assert.Equal(2, scope.Server.StreamsFailed);

        // A new client is served.
        await using IPerfClientTransport transport = scope.Transport(RemoteProtocol.Quic);
        RemoteMeasurements.Throughput down = await RemoteMeasurements.DownloadAsync(transport, 1, 50_000, TimeSpan.Zero, deadline.Token);
        Assert.Equal(50_000, down.Bytes);
    }

    [Fact]
    public async Task A_unidirectional_request_is_answered_on_a_new_server_unidirectional_stream()
    {
        using CancellationTokenSource deadline = Deadline();
        await using RemoteServerScope scope = await RemoteServerScope.StartAsync(deadline.Token);
        await using QuicConnection connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = scope.EndPoint,
            ConnectionOptions = new ConnectionOptions
            {
                ClientTls = new TlsClientOptions { ServerName = "localhost", ApplicationProtocols = [new SslApplicationProtocol(PerfFraming.Alpn)], PinnedCertificateSha256 = [scope.Pin] },
            },
        }, deadline.Token);
        // draft-banks-quic-performance §2.3.2: the answer comes on a server-initiated unidirectional stream.
        await using (QuicStream request = await connection.OpenOutboundStreamAsync(bidirectional: false, deadline.Token))
        {
            byte[] header = new byte[8 + 10];
            PerfFraming.WriteHeader(header, 5000);
            await request.WriteAsync(header, completeWrites: true, deadline.Token);
        }
        await using QuicStream answer = await connection.AcceptInboundStreamAsync(deadline.Token);
        Assert.False(answer.IsBidirectional);
        byte[] received = new byte[6000];
        int total = await PerfFraming.ReadAtMostAsync(answer, received, deadline.Token);
        Assert.Equal(5000, total);
        // msquic's payload pattern: byte k of the payload is (byte)k.
        for (int k = 0; k < total; k++) Assert.Equal((byte)k, received[k]);
        await connection.CloseAsync(0, deadline.Token);
    }

    [Fact]
    public async Task Bad_tcp_and_tls_clients_end_their_connection_and_the_server_serves_the_next()
    {
        using CancellationTokenSource deadline = Deadline();
        await using RemoteServerScope scope = await RemoteServerScope.StartAsync(deadline.Token);

        // Truncated header, then FIN.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(scope.EndPoint, deadline.Token);
            await socket.SendAsync(new byte[] { 0, 0, 0, 0, 0 }, SocketFlags.None, deadline.Token);
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None, deadline.Token));
        }
        await scope.WaitForLineAsync("ended after 5 of 8 header bytes", deadline.Token);

        // Reset (RST) in the middle of an upload.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(scope.EndPoint, deadline.Token);
            byte[] header = new byte[8];
            PerfFraming.WriteHeader(header, 1000);
            await socket.SendAsync(header, SocketFlags.None, deadline.Token);
            await socket.SendAsync(new byte[10_000], SocketFlags.None, deadline.Token);
            socket.LingerState = new LingerOption(true, 0);
        }
        PerfConnectionSummary reset = await scope.WaitForEndAsync("tcp", deadline.Token);
        while (!reset.End.Contains("reset", StringComparison.OrdinalIgnoreCase) && !reset.End.Contains("Exception", StringComparison.Ordinal))
        {
            reset = await scope.WaitForEndAsync("tcp", deadline.Token);
        }

        // A TLS record header followed by garbage: the handshake fails.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(scope.EndPoint, deadline.Token);
            await socket.SendAsync(new byte[] { PerfFraming.TlsHandshakeRecord, 3, 1, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8 }, SocketFlags.None, deadline.Token);
            socket.Shutdown(SocketShutdown.Send);
            try { while (await socket.ReceiveAsync(new byte[256], SocketFlags.None, deadline.Token) > 0) { } }
            catch (SocketException) { }
        }
        PerfConnectionSummary tls = await scope.WaitForEndAsync("tls", deadline.Token);
        Assert.Contains("Exception", tls.End, StringComparison.Ordinal);

        // Well-behaved clients of both kinds are served afterwards.
        foreach (RemoteProtocol protocol in new[] { RemoteProtocol.Tcp, RemoteProtocol.Tls })
        {
            await using IPerfClientTransport transport = scope.Transport(protocol);
            RemoteMeasurements.Throughput up = await RemoteMeasurements.UploadAsync(transport, 1, 40_000, TimeSpan.Zero, deadline.Token);
            Assert.Equal(40_000, up.Bytes);
        }
    }

    [Fact]
    public async Task A_client_with_the_wrong_pin_is_refused_by_both_tls_stacks()
    {
        using CancellationTokenSource deadline = Deadline();
        await using RemoteServerScope scope = await RemoteServerScope.StartAsync(deadline.Token);
        RemoteClientOptions options = scope.ClientOptions([RemoteProtocol.Quic, RemoteProtocol.Tls], [RemoteTest.Upload], 1000, 1);
        options = new RemoteClientOptions
        {
            Host = options.Host, Port = options.Port, Protocols = options.Protocols, Tests = options.Tests, Bytes = options.Bytes,
            Time = options.Time, Pin = new byte[32],
        };
        List<TourTable> tables = await RemoteClient.MeasureAsync(options, scope.EndPoint, null, _ => { }, deadline.Token);
        Assert.All(tables[0].Rows, row => Assert.NotNull(row.Error));
    }
}
