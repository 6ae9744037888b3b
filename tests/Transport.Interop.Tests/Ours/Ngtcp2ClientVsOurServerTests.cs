using System.Net;
using Transport.Interop.Endpoint;
using Transport.Interop.Peers;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>
/// gtlsclient, run as the runner's ngtcp2 client (<see cref="Ngtcp2InteropEndpoint.RunClientAsync"/>: flags, session
/// files, one or two processes per test case), against our endpoint's server (which accepts h3 and hq-interop).
/// gtlsclient exits 0 even when a download failed, so every file is compared byte for byte.
/// </summary>
[Collection(OursCollection.Name)]
public sealed class Ngtcp2ClientVsOurServerTests(OursFixture fixture)
{
    /// <summary>Runs the pairing in <paramref name="run"/> (the caller keeps it until it has read the logs).</summary>
    private async Task<Ngtcp2InteropClientResult> RunAsync(PeerTestDirectory run, string testCase, IReadOnlyList<string> files, string? serverTestCase = null,
        string? certs = null)
    {
        var serverLog = new StringWriter();
        Ngtcp2InteropClientResult result;
        await using (InteropServer server = await OursHarness.StartServerAsync(fixture, serverTestCase ?? testCase, log: TextWriter.Synchronized(serverLog), certs: certs))
        {
            result = await OursHarness.RunNgtcp2ClientAsync(testCase, files, server.LocalEndPoint.Port, run);
        }
        string evidence = string.Join("\n", result.Runs.Select(r => r.ToString())) + "\nour server:\n" + serverLog;
        Assert.True(result.Runs.Count > 0 && result.Runs.All(r => !r.TimedOut), "gtlsclient timed out\n" + evidence);
        OursHarness.AssertFiles(fixture, result.Runs[0].DownloadDirectory, files, evidence);
        return result;
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Handshake()
    {
        using var run = new PeerTestDirectory("nc-hs");
        Ngtcp2InteropClientResult r = await RunAsync(run, "handshake", [fixture.OneKilobyte]);
        Ngtcp2Log log = r.Runs[0].ReadLog();
        Assert.True(log.HandshakeCompleted);
        Assert.Equal("h3", log.NegotiatedAlpn);
        Assert.Equal("0x00000001", log.NegotiatedVersion);
        Assert.Equal(0, log.Received("Retry"));
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Connection_migration_to_our_preferred_address()
    {
        // The runner's connectionmigration: our server offers preferred_address, gtlsclient (TESTCASE transfer) follows it.
        using var run = new PeerTestDirectory("nc-cm");
        Ngtcp2InteropClientResult result;
        IPEndPoint preferred;
        await using (InteropServer server = await OursHarness.StartServerAsync(fixture, "connectionmigration"))
        {
            preferred = server.PreferredEndPoint!;
            Assert.NotEqual(server.LocalEndPoint.Port, preferred.Port);
            result = await OursHarness.RunNgtcp2ClientAsync("transfer", [fixture.OneMegabyte], server.LocalEndPoint.Port, run);
        }
        Assert.True(result.Runs.Count == 1 && !result.Runs[0].TimedOut, "gtlsclient timed out");
        OursHarness.AssertFiles(fixture, result.Runs[0].DownloadDirectory, [fixture.OneMegabyte], string.Join("\n", result.Runs));
        Ngtcp2Log log = result.Runs[0].ReadLog();
        Assert.Equal($"[127.0.0.1]:{preferred.Port}", log.SelectedPreferredAddress);
        Assert.True(log.SentPathChallenges > 0, "gtlsclient never probed the preferred address");
        Assert.True(log.ReceivedPathChallenges > 0, "our server did not challenge the new path (RFC 9000 §9.3)");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task One_and_ten_megabytes()
    {
        using var run = new PeerTestDirectory("nc-transfer");
        _ = await RunAsync(run, "transfer", [fixture.OneMegabyte, fixture.TenMegabytes]);
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Multiplexing()
    {
        using var run = new PeerTestDirectory("nc-multiplex");
        _ = await RunAsync(run, "transfer", fixture.Multiplex);
    }

    /// <summary>The runner's size: our server allows 1000 streams at a time and must raise MAX_STREAMS as they finish.</summary>
    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Multiplexing_1999_files_beyond_our_stream_limit()
    {
        using var run = new PeerTestDirectory("nc-multiplex1999");
        _ = await RunAsync(run, "transfer", fixture.RunnerMultiplex);
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Retry()
    {
        using var run = new PeerTestDirectory("nc-retry");
        Ngtcp2InteropClientResult r = await RunAsync(run, "retry", [fixture.TenKilobytes]);
        Assert.Equal(1, r.Runs[0].ReadLog().Received("Retry"));
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Resumption_second_handshake_has_no_certificate()
    {
        using var run = new PeerTestDirectory("nc-resume");
        Ngtcp2InteropClientResult r = await RunAsync(run, "resumption", [fixture.FiveKilobytes, fixture.TenKilobytes]);
        Assert.Equal(2, r.Runs.Count);
        int leaf = fixture.Certificates.Leaf.RawData.Length;
        Ngtcp2Log first = r.Runs[0].ReadLog(), second = r.Runs[1].ReadLog();
        Assert.True(first.ReceivedHandshakeCryptoBytes > leaf, $"first handshake carried {first.ReceivedHandshakeCryptoBytes} bytes");
        Assert.True(second.ReceivedHandshakeCryptoBytes < leaf, $"second handshake carried {second.ReceivedHandshakeCryptoBytes} bytes: not resumed");
        Assert.Equal(0, second.Sent("0RTT"));
    }

    /// <summary>
    /// Regression: the streams a client opens in 0-RTT were announced before our listener accepted the connection, and
    /// the API dropped those events, so the requests were never answered (gtlsclient hung until its deadline).
    /// </summary>
    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task ZeroRtt_requests_are_served()
    {
        using var run = new PeerTestDirectory("nc-0rtt");
        Ngtcp2InteropClientResult r = await RunAsync(run, "zerortt", fixture.ZeroRtt);
        Assert.Equal(2, r.Runs.Count);
        Ngtcp2Log second = r.Runs[1].ReadLog();
        Assert.False(second.EarlyDataRejected, "our server rejected 0-RTT");
        Assert.True(second.SentZeroRttStreamFrames >= fixture.ZeroRtt.Count - 1, $"only {second.SentZeroRttStreamFrames} STREAM frames in 0-RTT");
        Assert.Contains("CLIENT_EARLY_TRAFFIC_SECRET", File.ReadAllText(r.Runs[1].KeyLogFile!));
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task ChaCha20_only()
    {
        using var run = new PeerTestDirectory("nc-chacha");
        Ngtcp2InteropClientResult r = await RunAsync(run, "chacha20", [fixture.OneMegabyte]);
        Assert.Contains("CHACHA20", r.Runs[0].ReadLog().NegotiatedCipherSuite ?? "");
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Key_update_initiated_by_ngtcp2_is_followed()
    {
        using var run = new PeerTestDirectory("nc-keyupdate");
        Ngtcp2InteropClientResult r = await RunAsync(run, "keyupdate", [fixture.OneMegabyte], serverTestCase: "transfer");
        Ngtcp2Log log = r.Runs[0].ReadLog();
        Assert.True(log.SentKeyPhaseOnePackets > 0, "gtlsclient never sent Key Phase 1");
        Assert.True(log.ReceivedKeyPhaseOnePackets > 0, "our server never answered in Key Phase 1");
    }

    /// <summary>amplificationlimit's certificates: a 9-certificate chain, so the server's first flight exceeds 3x the client's Initial (RFC 9000 §8.1).</summary>
    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Long_certificate_chain_within_the_amplification_limit()
    {
        using var run = new PeerTestDirectory("nc-amplification");
        using TestCertificates chain = TestCertificates.Create(run.Sub("certs9"), chainLength: 9);
        Ngtcp2InteropClientResult r = await RunAsync(run, "transfer", [fixture.OneMegabyte], certs: chain.Directory);
        Ngtcp2Log log = r.Runs[0].ReadLog();
        long chainBytes = chain.Chain.Cast<System.Security.Cryptography.X509Certificates.X509Certificate2>().Sum(c => (long)c.RawData.Length);
        Assert.True(log.ReceivedHandshakeCryptoBytes > chainBytes, $"{log.ReceivedHandshakeCryptoBytes} Handshake CRYPTO bytes for a {chainBytes}-byte chain");
    }
}
