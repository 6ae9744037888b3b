using System.Net;
using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

/// <summary>
/// The interop runner's test cases with ngtcp2 in both roles, configured only through
/// <see cref="Ngtcp2InteropEndpoint"/> (the flags the matrix will use), on plain loopback: no network simulator, so
/// the scenario-dependent checks (longrtt, loss, corruption, blackhole, rebinding, amplification droplist) are not
/// exercised here, only that each configuration transfers the runner's files and shows its feature in the log.
/// File sizes are the runner's except two counts cut to keep the suite fast: multiplexing 300 x 32 B (runner 1999;
/// still three times the server's 100-stream limit) and handshakeloss 10 connections (runner 50).
/// </summary>
public sealed class Ngtcp2InteropMatrixTests
{
    private const int KB = 1024, MB = 1024 * 1024;

    [RequiresNgtcp2Theory(Timeout = 120_000)]
    [InlineData("handshake")]
    [InlineData("transfer")]
    [InlineData("chacha20")]
    [InlineData("multiplexing")]
    [InlineData("retry")]
    [InlineData("resumption")]
    [InlineData("zerortt")]
    [InlineData("http3")]
    [InlineData("keyupdate")]
    [InlineData("ecn")]
    [InlineData("amplificationlimit")]
    [InlineData("handshakeloss")]
    [InlineData("ipv6")]
    [InlineData("connectionmigration")]
    public async Task Runner_test_case_passes_ngtcp2_against_ngtcp2(string test)
    {
        using var run = new PeerTestDirectory("matrix-" + test);
        (string serverCase, string clientCase) = test switch
        {
            "multiplexing" or "amplificationlimit" or "ipv6" => ("transfer", "transfer"),
            "keyupdate" => ("transfer", "keyupdate"),
            "handshakeloss" => ("multiconnect", "multiconnect"),
            "connectionmigration" => ("connectionmigration", "transfer"),
            _ => (test, test),
        };
        var www = new InteropWww(run.Sub("www"), test.GetHashCode(StringComparison.Ordinal));
        switch (test)
        {
            case "handshake": www.AddFile(1 * KB); break;
            case "transfer": www.AddFile(2 * MB); www.AddFile(3 * MB); www.AddFile(5 * MB); break;
            case "chacha20": case "keyupdate": www.AddFile(3 * MB); break;
            case "multiplexing": for (int i = 0; i < 300; i++) www.AddFile(32); break;
            case "retry": www.AddFile(10 * KB); break;
            case "resumption": case "ipv6": www.AddFile(5 * KB); www.AddFile(10 * KB); break;
            case "zerortt": for (int i = 0; i < 40; i++) www.AddFileWithRandomName(32, 250); break;
            case "http3": www.AddFile(5 * KB); www.AddFile(10 * KB); www.AddFile(500 * KB); break;
            case "ecn": www.AddFile(100 * KB); break;
            case "amplificationlimit": www.AddFile(5 * KB); break;
            case "handshakeloss": for (int i = 0; i < 10; i++) www.AddFile(1 * KB); break;
            case "connectionmigration": www.AddFile(2 * MB); break;
        }
        using TestCertificates certs = TestCertificates.Create(run.Sub("certs"), chainLength: test == "amplificationlimit" ? 9 : 1);
        var serverOptions = new Ngtcp2ServerOptions
        {
            Address = test == "ipv6" ? IPAddress.IPv6Loopback : IPAddress.Loopback,
            WebRoot = www.Root, CertificatePath = certs.CertificatePath, PrivateKeyPath = certs.PrivateKeyPath,
            RunDirectory = run.Sub("server"),
        };
        Assert.True(Ngtcp2InteropEndpoint.TryConfigureServer(serverCase, serverOptions));
        await using Ngtcp2Server server = await Ngtcp2Server.StartAsync(serverOptions);

        string host = test switch { "ipv6" => "server6", "connectionmigration" => "server46", _ => "server4" };
        string[] requests = www.Files.Select(f => $"https://{host}:443/{f}").ToArray();
        var template = new Ngtcp2ClientOptions
        {
            Port = server.Port, DownloadDirectory = run.Sub("downloads"), RunDirectory = run.Sub("client"), Quiet = test is "multiplexing" or "transfer",
            Deadline = TimeSpan.FromSeconds(30),
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        Ngtcp2InteropClientResult result = await Ngtcp2InteropEndpoint.RunClientAsync(clientCase, requests, template, cts.Token);

        Assert.True(result.ExitCode == 0, string.Join("\n", result.Runs));
        DownloadVerdict verdict = DownloadVerdict.Compare(www.Root, template.DownloadDirectory, www.Files);
        Assert.True(verdict.Succeeded, verdict + "\n" + string.Join("\n", result.Runs));
        string keys = File.ReadAllText(Path.Combine(template.RunDirectory, "keys.log"));
        Assert.Contains("SERVER_HANDSHAKE_TRAFFIC_SECRET ", keys);

        int leafLength = certs.Leaf.RawData.Length;
        Ngtcp2Log last = result.Runs[^1].Quiet ? Ngtcp2Log.ParseText("") : result.Runs[^1].ReadLog();
        switch (test)
        {
            case "transfer":
                Assert.Single(result.Runs);
                break;
            case "handshake":
            case "http3":
                Assert.Single(result.Runs);
                Assert.Equal(0, last.Received("Retry"));
                Assert.Equal("h3", last.NegotiatedAlpn);
                break;
            case "chacha20":
                Assert.Equal("CHACHA20-POLY1305", last.NegotiatedCipherSuite);
                break;
            case "multiplexing":
                Assert.Single(result.Runs);
                break;
            case "retry":
                Assert.Equal(1, last.Received("Retry"));
                break;
            case "resumption":
                Assert.Equal(2, result.Runs.Count);
                Assert.True(result.Runs[0].ReadLog().ReceivedHandshakeCryptoBytes > leafLength);
                Assert.True(last.ReceivedHandshakeCryptoBytes < leafLength, $"not resumed: {last.ReceivedHandshakeCryptoBytes} bytes");
                Assert.Equal(0, last.Sent("0RTT"));
                Assert.Equal(2, CountLines(keys, "SERVER_HANDSHAKE_TRAFFIC_SECRET ")); // both runs append to one key log
                break;
            case "zerortt":
                Assert.Equal(2, result.Runs.Count);
                Assert.True(last.SentZeroRttStreamFrames >= 39, $"{last.SentZeroRttStreamFrames} STREAM frames in 0-RTT");
                Assert.False(last.EarlyDataRejected);
                Assert.Contains("CLIENT_EARLY_TRAFFIC_SECRET ", keys);
                break;
            case "keyupdate":
                Assert.True(last.SentKeyPhaseOnePackets > 0 && last.ReceivedKeyPhaseOnePackets > 0,
                    $"key phase 1: sent {last.SentKeyPhaseOnePackets}, received {last.ReceivedKeyPhaseOnePackets}");
                break;
            case "amplificationlimit":
                Assert.True(last.ReceivedHandshakeCryptoBytes > 9 * leafLength * 8 / 10, $"{last.ReceivedHandshakeCryptoBytes} bytes: chain not sent whole?");
                break;
            case "handshakeloss":
                Assert.Equal(10, result.Runs.Count);
                break;
            case "ipv6":
                Assert.Equal("0x00000001", last.NegotiatedVersion);
                break;
            case "connectionmigration":
                Assert.Equal($"[127.0.0.1]:{serverOptions.PreferredIPv4Address!.Port}", last.SelectedPreferredAddress);
                Assert.True(last.SentPathChallenges > 0);
                break;
        }
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("rebind-port")]
    [InlineData("no-such-test")]
    public async Task Unsupported_test_cases_exit_127_without_running(string testCase)
    {
        using var run = new PeerTestDirectory("unsupported");
        var template = new Ngtcp2ClientOptions { Port = 443, DownloadDirectory = run.Sub("dl"), RunDirectory = run.Path };
        Ngtcp2InteropClientResult result = await Ngtcp2InteropEndpoint.RunClientAsync(testCase, ["https://server4:443/x"], template);
        Assert.Equal(127, result.ExitCode);
        Assert.Empty(result.Runs);
        Assert.False(Ngtcp2InteropEndpoint.TryConfigureServer(testCase, new Ngtcp2ServerOptions()));
    }

    [Fact]
    public void Runner_host_names_map_to_loopback()
    {
        Assert.Equal(IPAddress.Loopback, Ngtcp2InteropEndpoint.LoopbackFor("server4"));
        Assert.Equal(IPAddress.Loopback, Ngtcp2InteropEndpoint.LoopbackFor("server46"));
        Assert.Equal(IPAddress.IPv6Loopback, Ngtcp2InteropEndpoint.LoopbackFor("server6"));
        Assert.Equal(IPAddress.IPv6Loopback, Ngtcp2InteropEndpoint.LoopbackFor("[::1]"));
        Assert.Null(Ngtcp2InteropEndpoint.LoopbackFor("example.com"));
        Assert.Equal("127.0.0.1", Ngtcp2InteropEndpoint.DialHost("127.0.0.1"));
        Assert.Equal("localhost", Ngtcp2InteropEndpoint.DialHost("localhost")); // resolves to 127.0.0.1 here
        Assert.Null(Ngtcp2InteropEndpoint.DialHost("example.com"));
        string? s4 = Ngtcp2InteropEndpoint.DialHost("server4");
        Assert.True(s4 is "server4" or "127.0.0.1", s4);
    }

    private static int CountLines(string text, string prefix) =>
        text.Split('\n').Count(l => l.StartsWith(prefix, StringComparison.Ordinal));
}
