using System.Net;
using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

/// <summary>
/// Proves the ngtcp2 drivers with ngtcp2 client against ngtcp2 server on loopback (HTTP/3), so that later our own
/// endpoint can replace either side. Every run is bounded by the client's deadline and the server is killed on dispose.
/// </summary>
public sealed class Ngtcp2PeerTests(Ngtcp2PeerFixture fixture) : IClassFixture<Ngtcp2PeerFixture>
{
    private const int TestTimeout = 60_000;
    private static readonly TimeSpan ClientDeadline = TimeSpan.FromSeconds(30);

    [RequiresNgtcp2Theory(Timeout = TestTimeout)]
    [InlineData(PrivateKeyFormat.Sec1WithParameters)]
    [InlineData(PrivateKeyFormat.Sec1)]
    [InlineData(PrivateKeyFormat.Pkcs8)]
    public async Task Handshake_and_one_kilobyte_with_each_key_format(PrivateKeyFormat format)
    {
        using var run = new PeerTestDirectory("hs");
        using TestCertificates certs = TestCertificates.Create(run.Sub("certs"), keyFormat: format);
        await using Ngtcp2Server server = await StartServerAsync(run, o =>
        {
            o.CertificatePath = certs.CertificatePath;
            o.PrivateKeyPath = certs.PrivateKeyPath;
        });
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.OneKilobyte], o => o.Quiet = false);

        AssertDownloaded(result, [fixture.OneKilobyte]);
        Ngtcp2Log log = result.ReadLog();
        Assert.True(log.HandshakeCompleted);
        Assert.Equal("h3", log.NegotiatedAlpn);
        Assert.Equal("0x00000001", log.NegotiatedVersion);
        Assert.Equal(0, log.Received("Retry"));
        AssertKeyLog(result.KeyLogFile);
        AssertKeyLog(server.KeyLogFile);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Handshake_over_ipv6()
    {
        using var run = new PeerTestDirectory("v6");
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.Address = IPAddress.IPv6Loopback);
        Assert.StartsWith("[::1]:", server.Authority);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.OneKilobyte]);
        AssertDownloaded(result, [fixture.OneKilobyte]);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task One_and_ten_megabytes_with_interop_style_urls()
    {
        using var run = new PeerTestDirectory("transfer");
        await using Ngtcp2Server server = await StartServerAsync(run);
        string[] files = [fixture.OneMegabyte, fixture.TenMegabytes];
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [], o =>
        {
            foreach (string f in files) o.Urls.Add("https://server4:443/" + f);
        });
        AssertDownloaded(result, files);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Fifty_files_in_parallel_on_one_connection()
    {
        using var run = new PeerTestDirectory("fifty");
        await using Ngtcp2Server server = await StartServerAsync(run);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, fixture.Fifty, o => o.Quiet = false);
        AssertDownloaded(result, fixture.Fifty);
        Ngtcp2Log log = result.ReadLog();
        Assert.True(log.HandshakeCompleted);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task ChaCha20_only_on_both_sides()
    {
        using var run = new PeerTestDirectory("chacha");
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.Ciphers = Ngtcp2.ChaCha20Only);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.OneMegabyte], o =>
        {
            o.Ciphers = Ngtcp2.ChaCha20Only;
            o.Quiet = false;
        });
        AssertDownloaded(result, [fixture.OneMegabyte]);
        Assert.Equal("CHACHA20-POLY1305", result.ReadLog().NegotiatedCipherSuite);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task ChaCha20_only_client_fails_against_an_aes_only_server()
    {
        // The control for the test above: the cipher flags really restrict what is offered.
        using var run = new PeerTestDirectory("chacha-neg");
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.Ciphers = Ngtcp2.Aes128GcmOnly);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.OneKilobyte], o =>
        {
            o.Ciphers = Ngtcp2.ChaCha20Only;
            o.Quiet = false;
            o.HandshakeTimeout = TimeSpan.FromSeconds(5);
        });
        Assert.False(result.Verify(fixture.Www.Root, [fixture.OneKilobyte]).Succeeded);
        Assert.False(result.ReadLog().HandshakeCompleted);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Retry_then_ten_kilobytes()
    {
        using var run = new PeerTestDirectory("retry");
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.ValidateAddress = true);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.TenKilobytes], o => o.Quiet = false);
        AssertDownloaded(result, [fixture.TenKilobytes]);
        Assert.Equal(1, result.ReadLog().Received("Retry"));
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Retry_server_hands_out_a_new_token_that_the_client_saves()
    {
        // 0.12's client cannot read the file back ("Could not read token"), so the token is not reused here.
        using var run = new PeerTestDirectory("token");
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.ValidateAddress = true);
        string token = Path.Combine(run.Path, "token.pem");
        Ngtcp2ClientRun first = await RunClientAsync(server, run, [fixture.OneKilobyte], o =>
        {
            o.Quiet = false; o.TokenFile = token;
        });
        AssertDownloaded(first, [fixture.OneKilobyte]);
        Assert.Equal(1, first.ReadLog().Received("Retry"));
        Assert.StartsWith("-----BEGIN QUIC TOKEN-----", File.ReadAllText(token));
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Client_certificate_when_the_server_asks_for_one()
    {
        using var run = new PeerTestDirectory("clientcert");
        using TestCertificates clientCerts = TestCertificates.Create(run.Sub("client-certs"), keyFormat: PrivateKeyFormat.Pkcs8);
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.RequestClientCertificate = true);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.OneKilobyte], o =>
        {
            o.Quiet = false;
            o.ClientCertificatePath = clientCerts.CertificatePath;
            o.ClientPrivateKeyPath = clientCerts.PrivateKeyPath;
        });
        AssertDownloaded(result, [fixture.OneKilobyte]);
        // The client's Handshake flight now carries Certificate and CertificateVerify besides Finished.
        Assert.True(result.ReadLog().SentHandshakeCryptoBytes > clientCerts.Leaf.RawData.Length);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Resumption_with_zero_rtt_sends_the_second_requests_early()
    {
        using var run = new PeerTestDirectory("0rtt");
        await using Ngtcp2Server server = await StartServerAsync(run, o => o.Quiet = false);
        string session = Path.Combine(run.Path, "session.pem");
        string tp = Path.Combine(run.Path, "tp.pem");

        Ngtcp2ClientRun first = await RunClientAsync(server, run, [fixture.ZeroRtt[0]], o =>
        {
            o.Quiet = false; o.SessionFile = session; o.TransportParametersFile = tp; o.RunName = "client1";
            o.DownloadDirectory = Path.Combine(run.Path, "dl1");
        });
        AssertDownloaded(first, [fixture.ZeroRtt[0]]);
        Assert.True(File.Exists(session) && File.Exists(tp), "the first run saved no session or transport parameters");

        string[] rest = fixture.ZeroRtt.Skip(1).ToArray();
        Ngtcp2ClientRun second = await RunClientAsync(server, run, rest, o =>
        {
            o.Quiet = false; o.SessionFile = session; o.TransportParametersFile = tp; o.RunName = "client2";
            o.DownloadDirectory = Path.Combine(run.Path, "dl2");
        });
        AssertDownloaded(second, rest);

        Ngtcp2Log log1 = first.ReadLog(), log2 = second.ReadLog();
        int leafLength = fixture.Certificates.Leaf.RawData.Length;
        Assert.True(log1.ReceivedHandshakeCryptoBytes > leafLength, $"first handshake carried {log1.ReceivedHandshakeCryptoBytes} bytes, no certificate?");
        Assert.True(log2.ReceivedHandshakeCryptoBytes < leafLength, $"second handshake carried {log2.ReceivedHandshakeCryptoBytes} bytes: not resumed");
        Assert.Equal(0, log1.Sent("0RTT"));
        Assert.True(log2.SentZeroRttStreamFrames >= rest.Length, $"only {log2.SentZeroRttStreamFrames} STREAM frames in 0-RTT");
        Assert.False(log2.EarlyDataRejected);
        await server.DisposeAsync(); // the log is complete once the server is gone
        Ngtcp2Log serverLog = Ngtcp2Log.Parse(server.StandardErrorPath);
        Assert.True(serverLog.ReceivedZeroRttStreamFrames >= rest.Length, $"server decrypted {serverLog.ReceivedZeroRttStreamFrames} 0-RTT STREAM frames");
        Assert.Contains("CLIENT_EARLY_TRAFFIC_SECRET", File.ReadAllText(second.KeyLogFile!));
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Resumption_without_early_data_skips_the_certificate()
    {
        using var run = new PeerTestDirectory("resume");
        await using Ngtcp2Server server = await StartServerAsync(run);
        string session = Path.Combine(run.Path, "session.pem");
        Ngtcp2ClientRun first = await RunClientAsync(server, run, [fixture.FiveKilobytes], o =>
        {
            o.Quiet = false; o.SessionFile = session; o.RunName = "client1"; o.DownloadDirectory = Path.Combine(run.Path, "dl1");
        });
        AssertDownloaded(first, [fixture.FiveKilobytes]);
        Ngtcp2ClientRun second = await RunClientAsync(server, run, [fixture.TenKilobytes], o =>
        {
            o.Quiet = false; o.SessionFile = session; o.DisableEarlyData = true; o.RunName = "client2";
            o.DownloadDirectory = Path.Combine(run.Path, "dl2");
        });
        AssertDownloaded(second, [fixture.TenKilobytes]);
        int leafLength = fixture.Certificates.Leaf.RawData.Length;
        Assert.True(first.ReadLog().ReceivedHandshakeCryptoBytes > leafLength);
        Ngtcp2Log log2 = second.ReadLog();
        Assert.True(log2.ReceivedHandshakeCryptoBytes < leafLength, $"second handshake carried {log2.ReceivedHandshakeCryptoBytes} bytes: not resumed");
        Assert.Equal(0, log2.Sent("0RTT"));
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Key_update_early_in_a_one_megabyte_transfer()
    {
        using var run = new PeerTestDirectory("keyupdate");
        await using Ngtcp2Server server = await StartServerAsync(run);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, [fixture.OneMegabyte], o =>
        {
            o.Quiet = false;
            o.KeyUpdateAfter = TimeSpan.FromMilliseconds(1);
        });
        AssertDownloaded(result, [fixture.OneMegabyte]);
        Ngtcp2Log log = result.ReadLog();
        Assert.True(log.SentKeyPhaseOnePackets > 0, "the client never sent Key Phase 1");
        Assert.True(log.ReceivedKeyPhaseOnePackets > 0, "the server never answered in Key Phase 1");
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Exit_code_zero_does_not_mean_success()
    {
        using var run = new PeerTestDirectory("404");
        await using Ngtcp2Server server = await StartServerAsync(run);
        Ngtcp2ClientRun result = await RunClientAsync(server, run, ["no-such-file"]);
        Assert.Equal(0, result.ExitCode);
        DownloadVerdict v = result.Verify(fixture.Www.Root, ["no-such-file"]);
        Assert.False(v.Succeeded);
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Client_is_killed_at_its_deadline()
    {
        using var run = new PeerTestDirectory("deadline");
        int silentPort = UdpPorts.GetFree(IPAddress.Loopback);
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, silentPort)); // swallows Initials
        var o = new Ngtcp2ClientOptions
        {
            Host = "127.0.0.1", Port = silentPort, DownloadDirectory = run.Sub("dl"), RunDirectory = run.Path,
            Deadline = TimeSpan.FromSeconds(1),
        };
        o.Urls.Add($"https://127.0.0.1:{silentPort}/{fixture.OneKilobyte}");
        Ngtcp2ClientRun result = await Ngtcp2Client.RunAsync(o);
        Assert.True(result.TimedOut, result.ToString());
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Server_start_fails_clearly_with_a_bad_key()
    {
        using var run = new PeerTestDirectory("badkey");
        string bad = Path.Combine(run.Path, "bad.key");
        File.WriteAllText(bad, "not a key");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => StartServerAsync(run, o =>
        {
            o.PrivateKeyPath = bad;
            o.StartTimeout = TimeSpan.FromSeconds(1);
        }));
        Assert.Contains("gtlsserver did not answer", e.Message);
        Assert.Contains("gnutls_certificate_set_x509_key_file failed", e.Message); // its own stderr, at once
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Server_is_killed_by_its_watchdog_and_by_dispose()
    {
        using var run = new PeerTestDirectory("watchdog");
        Ngtcp2Server server = await StartServerAsync(run, o => o.MaxLifetime = TimeSpan.FromSeconds(1));
        await server.Process.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(server.Process.HasExited);
        server.Dispose();

        Ngtcp2Server second = await StartServerAsync(run);
        Assert.False(second.Process.HasExited);
        await second.DisposeAsync();
        await second.DisposeAsync(); // twice is fine
        Assert.False(await VersionNegotiationProbe.WaitAsync(second.EndPoint, TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(100)));
    }

    [RequiresNgtcp2Fact(Timeout = TestTimeout)]
    public async Task Server_start_fails_clearly_on_a_taken_port()
    {
        using var run = new PeerTestDirectory("taken");
        using var taken = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => StartServerAsync(run, o => o.Port = port));
        Assert.Contains("Could not bind", e.Message);
    }

    private async Task<Ngtcp2Server> StartServerAsync(PeerTestDirectory run, Action<Ngtcp2ServerOptions>? configure = null)
    {
        var o = new Ngtcp2ServerOptions
        {
            WebRoot = fixture.Www.Root,
            CertificatePath = fixture.Certificates.CertificatePath,
            PrivateKeyPath = fixture.Certificates.PrivateKeyPath,
            RunDirectory = run.Sub("server"),
        };
        configure?.Invoke(o);
        return await Ngtcp2Server.StartAsync(o);
    }

    private static async Task<Ngtcp2ClientRun> RunClientAsync(Ngtcp2Server server, PeerTestDirectory run, IEnumerable<string> files,
        Action<Ngtcp2ClientOptions>? configure = null)
    {
        var o = new Ngtcp2ClientOptions
        {
            Host = server.EndPoint.Address.ToString(),
            Port = server.Port,
            DownloadDirectory = Path.Combine(run.Path, "downloads"),
            RunDirectory = run.Sub("client"),
            Deadline = ClientDeadline,
        };
        foreach (string f in files) o.Urls.Add(server.Url(f));
        configure?.Invoke(o);
        return await Ngtcp2Client.RunAsync(o);
    }

    private void AssertDownloaded(Ngtcp2ClientRun result, IEnumerable<string> files)
    {
        Assert.False(result.TimedOut, result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        DownloadVerdict v = result.Verify(fixture.Www.Root, files);
        Assert.True(v.Succeeded, v + "\n" + result);
    }

    private static void AssertKeyLog(string? path)
    {
        Assert.NotNull(path);
        string text = File.ReadAllText(path);
        foreach (string label in new[] { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" })
            Assert.Contains(label + " ", text);
    }
}
