using Transport.Interop.Endpoint;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>Our endpoint's client against our endpoint's server on loopback, over hq-interop and over HTTP/3.</summary>
[Collection(OursCollection.Name)]
public sealed class OursVsOursTests(OursFixture fixture)
{
    private async Task<(string ClientLog, string ServerLog, int Connections)> RunAsync(string testCase, IReadOnlyList<string> files, string alpn,
        string label, string? serverTestCase = null, string? keyLog = null)
    {
        using var run = new PeerTestDirectory(label);
        string downloads = run.Sub("downloads");
        var serverLog = new StringWriter();
        int exit, connections;
        string log;
        await using (InteropServer server = await OursHarness.StartServerAsync(fixture, serverTestCase ?? testCase, log: TextWriter.Synchronized(serverLog)))
        {
            (exit, log, _) = await OursHarness.RunClientAsync(testCase, files, server.LocalEndPoint, downloads, alpn, keyLog);
            connections = server.ConnectionsAccepted;
        }
        Assert.True(exit == 0, $"client exit {exit}\n{log}\nserver:\n{serverLog}");
        OursHarness.AssertFiles(fixture, downloads, files, log);
        Assert.Contains($"ALPN {alpn}", serverLog.ToString());
        return (log, serverLog.ToString(), connections);
    }

    [Theory(Timeout = OursHarness.TestTimeout)]
    [InlineData("hq-interop")]
    [InlineData("h3")]
    public async Task Handshake(string alpn)
    {
        (_, _, int connections) = await RunAsync("handshake", [fixture.OneKilobyte], alpn, "oo-hs");
        Assert.Equal(1, connections);
    }

    [Theory(Timeout = OursHarness.TestTimeout)]
    [InlineData("hq-interop")]
    [InlineData("h3")]
    public async Task One_and_ten_megabytes(string alpn)
    {
        _ = await RunAsync("transfer", [fixture.OneMegabyte, fixture.TenMegabytes], alpn, "oo-transfer");
    }

    [Theory(Timeout = OursHarness.TestTimeout)]
    [InlineData("hq-interop")]
    [InlineData("h3")]
    public async Task Multiplexing(string alpn)
    {
        _ = await RunAsync("transfer", fixture.Multiplex, alpn, "oo-multiplex");
    }

    [Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Http3_test_case_uses_h3_without_override()
    {
        _ = await RunAsync("http3", [fixture.FiveKilobytes, fixture.TenKilobytes, fixture.OneMegabyte], alpn: "h3", "oo-http3");
    }

    [Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Retry_resumption_chacha20_keyupdate_multiconnect()
    {
        _ = await RunAsync("retry", [fixture.TenKilobytes], "hq-interop", "oo-retry");
        (string resumeLog, _, int resumed) = await RunAsync("resumption", [fixture.FiveKilobytes, fixture.TenKilobytes], "hq-interop", "oo-resume");
        Assert.Equal(2, resumed);
        Assert.Contains("(resuming)", resumeLog);
        _ = await RunAsync("chacha20", [fixture.OneMegabyte], "hq-interop", "oo-chacha");
        _ = await RunAsync("keyupdate", [fixture.OneMegabyte], "hq-interop", "oo-keyupdate", serverTestCase: "transfer");
        (_, _, int multi) = await RunAsync("multiconnect", fixture.Multiplex.Take(5).ToList(), "hq-interop", "oo-multiconnect");
        Assert.Equal(5, multi);
    }

    [Theory(Timeout = OursHarness.TestTimeout)]
    [InlineData("hq-interop")]
    [InlineData("h3")]
    public async Task ZeroRtt(string alpn)
    {
        (string log, _, int connections) = await RunAsync("zerortt", fixture.ZeroRtt, alpn, "oo-0rtt");
        Assert.Equal(2, connections);
        Assert.Contains("early data Accepted", log);
    }

    /// <summary>The runner's sim waits for the server with wait-for-it-quic: a VN reply to version 0x57414954 with empty CIDs.</summary>
    [Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Server_answers_the_runners_version_negotiation_probe()
    {
        await using InteropServer server = await OursHarness.StartServerAsync(fixture, "handshake");
        Assert.True(await Transport.Interop.Peers.VersionNegotiationProbe.WaitAsync(
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.LocalEndPoint.Port), TimeSpan.FromSeconds(5)));
    }

    [Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Qlogdir_gets_a_trace_from_each_side()
    {
        using var run = new PeerTestDirectory("oo-qlog");
        string qlog = run.Sub("qlog"), downloads = run.Sub("downloads");
        await using (InteropServer server = await OursHarness.StartServerAsync(fixture, "handshake", qlogDirectory: qlog))
        {
            (int exit, string log, _) = await OursHarness.RunClientAsync("handshake", [fixture.OneKilobyte], server.LocalEndPoint, downloads,
                qlogDirectory: qlog);
            Assert.True(exit == 0, log);
        }
        string[] traces = Directory.GetFiles(qlog);
        Assert.True(traces.Length >= 2, $"qlog files: {string.Join(", ", traces.Select(Path.GetFileName))}");
        Assert.All(traces, t => Assert.Contains("packet_sent", File.ReadAllText(t)));
    }

    [Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Key_log_has_the_secrets_the_runner_needs()
    {
        using var run = new PeerTestDirectory("oo-keylog");
        string keyLog = Path.Combine(run.Path, "keys.log");
        _ = await RunAsync("handshake", [fixture.OneKilobyte], "hq-interop", "oo-keylog-run", keyLog: keyLog);
        string text = File.ReadAllText(keyLog);
        foreach (string label in new[] { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" })
            Assert.Contains(label, text);
    }
}
