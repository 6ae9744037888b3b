using System.Text.RegularExpressions;
using Transport.Interop.Peers;
using Transport.Interop.Relay;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>
/// Our endpoint's client (Program.cs's code path, ALPN h3 because Debian's ngtcp2 speaks only HTTP/3) against
/// gtlsserver configured per runner test case. Files are compared byte for byte; the feature each case is about is
/// checked in the server's verbose log.
/// </summary>
[Collection(OursCollection.Name)]
public sealed class OurClientVsNgtcp2ServerTests(OursFixture fixture)
{
    private async Task<(Ngtcp2Log ServerLog, string ClientLog, string ServerText)> RunAsync(string testCase, IReadOnlyList<string> files, string label,
        string? relayScenario = null, Action<Ngtcp2ServerOptions>? configureServer = null)
    {
        using var run = new PeerTestDirectory(label);
        string downloads = run.Sub("downloads");
        Ngtcp2Server server = await OursHarness.StartNgtcp2ServerAsync(fixture, testCase, run, configure: configureServer);
        int exit;
        string log;
        try
        {
            if (relayScenario is null) (exit, log, _) = await OursHarness.RunClientAsync(testCase, files, server.EndPoint, downloads, alpn: "h3");
            else
            {
                using var relay = new UdpRelay(new UdpRelayOptions
                {
                    ServerEndPoint = server.EndPoint, Scenario = RelayScenario.Parse(relayScenario), Lifetime = TimeSpan.FromSeconds(60),
                });
                (exit, log, _) = await OursHarness.RunClientAsync(testCase, files, relay.ListenEndPoint, downloads, alpn: "h3");
            }
        }
        finally
        {
            await server.DisposeAsync(); // the server's log is complete once it is gone
        }
        string serverLog = File.ReadAllText(server.StandardErrorPath);
        Assert.True(exit == 0, $"client exit {exit}\n{log}\nserver log tail:\n{Tail(serverLog)}");
        OursHarness.AssertFiles(fixture, downloads, files, log);
        return (Ngtcp2Log.ParseText(serverLog), log, serverLog);
    }

    /// <summary>Per connection (ngtcp2's log prefix), the Handshake CRYPTO bytes the server sent: full handshakes carry the certificate.</summary>
    private static Dictionary<string, long> ServerHandshakeCryptoByConnection(string serverLog)
    {
        var result = new Dictionary<string, long>();
        foreach (Match m in Regex.Matches(serverLog, @"^I\d+ (0x[0-9a-f]+) frm tx \d+ Handshake CRYPTO\(0x06\) offset=(\d+) len=(\d+)", RegexOptions.Multiline))
        {
            long end = long.Parse(m.Groups[2].Value) + long.Parse(m.Groups[3].Value);
            result[m.Groups[1].Value] = Math.Max(result.GetValueOrDefault(m.Groups[1].Value), end);
        }
        return result;
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Handshake()
    {
        (Ngtcp2Log server, _, _) = await RunAsync("handshake", [fixture.OneKilobyte], "oc-hs");
        Assert.True(server.HandshakeCompleted);
        Assert.Equal("h3", server.NegotiatedAlpn);
        Assert.Equal(0, server.Sent("Retry"));
    }

    /// <summary>
    /// Our client's first ClientHello carries only its first group's share (x25519); a P-256-only server must ask for
    /// secp256r1 with a HelloRetryRequest (RFC 8446 §4.1.4), and the handshake completes on the second ClientHello.
    /// </summary>
    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task HelloRetryRequest_from_a_P256_only_server()
    {
        (Ngtcp2Log server, _, _) = await RunAsync("handshake", [fixture.OneKilobyte], "oc-hrr", configureServer: o => o.Groups = Ngtcp2.Secp256r1Only);
        Assert.True(server.HandshakeCompleted);
        Assert.Equal("h3", server.NegotiatedAlpn);
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Our_client_follows_the_servers_preferred_address()
    {
        // gtlsserver as the runner's connectionmigration server (a preferred address on another port); our client's
        // TESTCASE is transfer, so following preferred_address must be its default.
        using var run = new PeerTestDirectory("oc-cm");
        string downloads = run.Sub("downloads");
        Ngtcp2Server server = await OursHarness.StartNgtcp2ServerAsync(fixture, "connectionmigration", run);
        int exit;
        string log;
        try
        {
            (exit, log, _) = await OursHarness.RunClientAsync("transfer", [fixture.OneMegabyte], server.EndPoint, downloads, alpn: "h3");
        }
        finally
        {
            await server.DisposeAsync();
        }
        string serverLog = File.ReadAllText(server.StandardErrorPath);
        Assert.True(exit == 0, $"client exit {exit}\n{log}\nserver log tail:\n{Tail(serverLog)}");
        OursHarness.AssertFiles(fixture, downloads, [fixture.OneMegabyte], log);
        Ngtcp2Log parsed = Ngtcp2Log.ParseText(serverLog);
        Assert.True(parsed.ReceivedPathChallenges > 0, "our client never probed the preferred address");
        Assert.True(parsed.SentPathChallenges > 0, "the server never validated our client's new path");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task One_and_ten_megabytes()
    {
        _ = await RunAsync("transfer", [fixture.OneMegabyte, fixture.TenMegabytes], "oc-transfer");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Multiplexing_beyond_the_servers_stream_limit()
    {
        // gtlsserver allows 100 bidirectional streams at a time: the client must wait for MAX_STREAMS.
        _ = await RunAsync("transfer", fixture.Multiplex, "oc-multiplex");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Retry()
    {
        (_, _, string serverLog) = await RunAsync("retry", [fixture.TenKilobytes], "oc-retry");
        Assert.Equal(1, Regex.Count(serverLog, "Sending Retry packet"));
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Resumption_second_handshake_has_no_certificate()
    {
        (_, string clientLog, string serverLog) = await RunAsync("resumption", [fixture.FiveKilobytes, fixture.TenKilobytes], "oc-resume");
        Assert.Contains("(resuming)", clientLog);
        Dictionary<string, long> crypto = ServerHandshakeCryptoByConnection(serverLog);
        int leaf = fixture.Certificates.Leaf.RawData.Length;
        Assert.True(crypto.Count == 2, $"expected two connections, saw {crypto.Count}");
        Assert.Single(crypto.Values, v => v > leaf);  // the first, full handshake
        Assert.Single(crypto.Values, v => v < leaf);  // the resumed one: no Certificate
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task ChaCha20_only()
    {
        (Ngtcp2Log server, _, _) = await RunAsync("chacha20", [fixture.OneMegabyte], "oc-chacha");
        Assert.Contains("CHACHA20", server.NegotiatedCipherSuite ?? "");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Key_update_initiated_by_our_client()
    {
        (Ngtcp2Log server, _, _) = await RunAsync("keyupdate", [fixture.OneMegabyte], "oc-keyupdate");
        Assert.True(server.ReceivedKeyPhaseOnePackets > 0, "the server never received Key Phase 1 from our client");
        Assert.True(server.SentKeyPhaseOnePackets > 0, "the server never answered in Key Phase 1");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task ZeroRtt_requests_leave_in_early_data()
    {
        // Through the runner's default link (30 ms RTT): on bare loopback the handshake may finish before the first request
        // is packetized, and the requests then rightly leave in 1-RTT.
        (Ngtcp2Log server, string clientLog, _) = await RunAsync("zerortt", fixture.ZeroRtt, "oc-0rtt",
            "simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25");
        Assert.Contains("early data Accepted", clientLog);
        // The 39 requests of the second connection (HEADERS on request streams) plus control/QPACK stream bytes. All of
        // them leave in 0-RTT on an idle machine; on a loaded one the handshake (one 30 ms RTT) can complete while the
        // client is still opening streams, and the rest rightly go in 1-RTT (the runner allows up to 5000 bytes of
        // client 1-RTT payload, about half the requests; the matrix's zerortt check applies that byte rule).
        Assert.True(server.ReceivedZeroRttStreamFrames >= (fixture.ZeroRtt.Count - 1) / 2,
            $"gtlsserver decrypted only {server.ReceivedZeroRttStreamFrames} STREAM frames in 0-RTT\n{clientLog}");
    }
}
