using Transport.Interop.Checks;

namespace Transport.Interop.Tests.Matrix;

/// <summary>
/// The runner's checks against recorded ngtcp2 → ngtcp2 cells (Matrix/Traces): each passes its own test, and fails
/// other tests' checks for the runner's reason — so no check passes vacuously.
/// </summary>
public sealed class RecordedTraceCheckTests
{
    [RequiresTsharkFact]
    public void Handshake_trace_passes_handshake_transfer_and_multiplexing_but_no_feature_checks()
    {
        using var t = new RecordedTrace("handshake");
        CheckContext c = t.Context();
        Assert.Equal(1, RunnerChecks.CountHandshakes(c));
        Assert.Equal(["0x1"], RunnerChecks.Versions(c));
        AssertPass(RunnerChecks.Check("handshake", c));
        AssertPass(RunnerChecks.Check("transfer", c));
        AssertPass(RunnerChecks.Check("multiplexing", c)); // gtlsserver sends initial_max_streams_bidi = 100
        AssertFail("Didn't find a Retry packet.", RunnerChecks.Check("retry", c));
        AssertFail("Expected exactly 2 handshakes. Got: 1", RunnerChecks.Check("resumption", c));
        AssertFail("Expected only ChaCha20 cipher suite to be offered. Got: [0x1301]", RunnerChecks.Check("chacha20", c));
        Assert.StartsWith("Expected to see packets sent with key phase 1", RunnerChecks.Check("keyupdate", c).Reason, StringComparison.Ordinal);
        Assert.StartsWith("Server sent too little Handshake CRYPTO data", RunnerChecks.Check("amplificationlimit", c).Reason, StringComparison.Ordinal);
        Assert.StartsWith("Expected at least 2 ClientHellos", RunnerChecks.Check("longrtt", c).Reason, StringComparison.Ordinal);
        AssertFail("Server saw only a single path in use; test broken?", RunnerChecks.Check("rebind-port", c));
        AssertFail("Wrong version in server Initial. Expected 0x6b3343cf, got [0x1]", RunnerChecks.Check("v2", c));
    }

    [RequiresTsharkFact]
    public void Checks_that_need_a_key_log_are_unsupported_without_one()
    {
        using var t = new RecordedTrace("handshake");
        CheckContext c = t.Context(withKeyLog: false);
        foreach (string test in new[] { "multiplexing", "resumption", "keyupdate", "amplificationlimit", "rebind-port", "ecn" })
            Assert.Equal(CheckOutcome.Unsupported, RunnerChecks.Check(test, c).Outcome);
        AssertPass(RunnerChecks.Check("handshake", c)); // Initials decrypt without keys
    }

    [RequiresTsharkFact]
    public void Files_must_be_exactly_the_requested_ones_byte_for_byte()
    {
        using var t = new RecordedTrace("handshake");
        CheckContext c = t.Context();
        string file = Path.Combine(c.DownloadDirectory, c.Files[0]);
        File.WriteAllText(Path.Combine(c.DownloadDirectory, "extra"), "x");
        Assert.StartsWith("files:", RunnerChecks.Check("handshake", c).Reason, StringComparison.Ordinal);
        File.Delete(Path.Combine(c.DownloadDirectory, "extra"));
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 1;
        File.WriteAllBytes(file, bytes);
        Assert.StartsWith("files:", RunnerChecks.Check("handshake", c).Reason, StringComparison.Ordinal);
        File.Delete(file);
        Assert.StartsWith("files:", RunnerChecks.Check("transfer", c).Reason, StringComparison.Ordinal);
    }

    [RequiresTsharkFact]
    public void Retry_trace_passes_retry_and_fails_handshake()
    {
        using var t = new RecordedTrace("retry");
        CheckContext c = t.Context();
        AssertPass(RunnerChecks.Check("retry", c));
        AssertFail("Didn't expect a Retry to be sent.", RunnerChecks.Check("handshake", c));
        Assert.Single(c.ClientTrace.LongHeaderPackets(QuicPacketKind.Retry, TraceDirection.FromServer));
    }

    [RequiresTsharkFact]
    public void Resumption_trace_has_two_handshakes_and_no_certificate_in_the_second()
    {
        using var t = new RecordedTrace("resumption");
        CheckContext c = t.Context();
        Assert.Equal(2, RunnerChecks.CountHandshakes(c));
        AssertPass(RunnerChecks.Check("resumption", c));
        AssertFail("Expected exactly 1 handshake. Got: 2", RunnerChecks.Check("transfer", c));
        AssertFail("Client didn't send any 0-RTT data.", RunnerChecks.Check("zerortt", c)); // resumed with --disable-early-data
    }

    [RequiresTsharkFact]
    public void Zerortt_trace_carries_the_requests_in_0rtt()
    {
        using var t = new RecordedTrace("zerortt");
        CheckContext c = t.Context();
        CheckResult r = RunnerChecks.Check("zerortt", c);
        AssertPass(r);
        Assert.Matches(@"^0-RTT \d+ B, 1-RTT \d+ B$", r.Reason);
        Assert.True(c.ClientTrace.LongHeaderPackets(QuicPacketKind.ZeroRtt, TraceDirection.FromClient).Sum(p => p.PayloadSize) > 39 * 100); // 39 h3 requests (QPACK Huffman-codes the 250-letter paths)
        AssertPass(RunnerChecks.Check("resumption", c)); // a 0-RTT resumption is also a resumption without Certificate
    }

    [RequiresTsharkFact]
    public void Amplification_trace_sends_the_whole_chain_within_the_budget()
    {
        using var t = new RecordedTrace("amplificationlimit");
        CheckContext c = t.Context();
        AssertPass(RunnerChecks.Check("amplificationlimit", c));
        long maxCrypto = c.ServerTrace.LongHeaderPackets(QuicPacketKind.Handshake, TraceDirection.FromServer)
            .Max(p => long.Parse(p.First("quic.crypto.offset") ?? "0") + long.Parse(p.First("quic.crypto.length") ?? "0"));
        Assert.True(maxCrypto >= RunnerChecks.AmplificationMinimumHandshakeCrypto, $"{maxCrypto}");
    }

    private static void AssertPass(CheckResult r) => Assert.True(r.Succeeded, r.Reason);

    private static void AssertFail(string reason, CheckResult r)
    {
        Assert.Equal(CheckOutcome.Failed, r.Outcome);
        Assert.Equal(reason, r.Reason);
    }
}
