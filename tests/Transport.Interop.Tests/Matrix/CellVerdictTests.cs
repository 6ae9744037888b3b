using Transport.Interop.Checks;
using Transport.Interop.Matrix;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Matrix;

/// <summary>The runner's _run_test verdict rules (TESTCASES.md §1.5), with scripted endpoints.</summary>
public sealed class CellVerdictTests
{
    private static readonly MatrixPair Pair = new(MatrixImplementation.Ours, MatrixImplementation.Ours);
    private static readonly MatrixTestCase Handshake = MatrixCatalogue.Find("handshake")! with { Scenario = "simple-p2p --delay=1ms --bandwidth=100Mbps --queue=25" };

    private static async Task<CellResult> Run(StandInEndpoint client, StandInEndpoint server, bool tshark = false, MatrixTestCase? test = null, MatrixPair? pair = null,
        string? redirectMissing = null)
    {
        using var dir = new PeerTestDirectory("matrix-verdict");
        var runner = new CellRunner(pair ?? Pair, client, server, tshark);
        if (redirectMissing is not null) runner = new CellRunner(pair ?? Pair, client, server, tshark) { RedirectMissingReason = () => redirectMissing };
        return await runner.RunAsync(test ?? Handshake, quick: true, seed: 3, dir.Path, CancellationToken.None);
    }

    [Fact]
    public async Task Client_127_is_unsupported()
    {
        CellResult r = await Run(new StandInEndpoint { ClientExitCode = 127 }, new StandInEndpoint());
        Assert.Equal(CellOutcome.Unsupported, r.Outcome);
        Assert.Equal("client exited 127", r.Reason);
    }

    [Fact]
    public async Task Server_127_is_unsupported_and_the_client_is_not_run()
    {
        var client = new StandInEndpoint();
        CellResult r = await Run(client, new StandInEndpoint { ServerUnsupported = true });
        Assert.Equal(CellOutcome.Unsupported, r.Outcome);
        Assert.Empty(client.ClientRequests);
    }

    [Fact]
    public async Task A_timeout_or_a_nonzero_exit_fails()
    {
        CellResult timeout = await Run(new StandInEndpoint { ClientExitCode = null }, new StandInEndpoint());
        Assert.Equal(CellOutcome.Failed, timeout.Outcome);
        Assert.StartsWith("timed out after 60 s", timeout.Reason, StringComparison.Ordinal);
        CellResult exit1 = await Run(new StandInEndpoint { ClientExitCode = 1, CopyFiles = true }, new StandInEndpoint());
        Assert.Equal(CellOutcome.Failed, exit1.Outcome);
        Assert.StartsWith("client exited with code 1", exit1.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_0_is_judged_by_the_check_files_only_without_tshark()
    {
        CellResult ok = await Run(new StandInEndpoint { CopyFiles = true }, new StandInEndpoint());
        Assert.Equal(CellOutcome.Passed, ok.Outcome);
        Assert.Contains("tshark missing", ok.Reason);
        CellResult missing = await Run(new StandInEndpoint(), new StandInEndpoint());
        Assert.Equal(CellOutcome.Failed, missing.Outcome);
        Assert.Contains("files", missing.Reason);
        CellResult extra = await Run(new StandInEndpoint { CopyFiles = true, WriteExtraFile = true }, new StandInEndpoint());
        Assert.Equal(CellOutcome.Failed, extra.Outcome);
        Assert.Contains("session.ticket", extra.Reason);
    }

    [RequiresTsharkFact]
    public async Task Exit_0_without_any_quic_traffic_fails_the_trace_check()
    {
        CellResult r = await Run(new StandInEndpoint { CopyFiles = true }, new StandInEndpoint(), tshark: true);
        Assert.Equal(CellOutcome.Failed, r.Outcome);
        Assert.Equal("Expected exactly one version. Got []", r.Reason); // handshake checks version and files first
    }

    [Fact]
    public async Task Unavailable_and_not_runnable_cells_run_nothing()
    {
        var client = new StandInEndpoint { Unavailable = "libmsquic not installed" };
        CellResult r = await Run(client, new StandInEndpoint());
        Assert.Equal(CellOutcome.Unavailable, r.Outcome);
        Assert.Empty(client.ClientRequests);
        // connectionmigration with a foreign server needs the nftables redirect of its own preferred address; without it
        // (not root, nft missing) the cell is not run and says what is missing.
        var server = new StandInEndpoint();
        var cmClient = new StandInEndpoint();
        CellResult cm = await Run(cmClient, server, test: MatrixCatalogue.Find("connectionmigration"),
            pair: new MatrixPair(MatrixImplementation.Ours, MatrixImplementation.Ngtcp2), redirectMissing: "needs root (CAP_NET_ADMIN) for an nftables redirect");
        Assert.Equal(CellOutcome.NotRun, cm.Outcome);
        Assert.Contains("preferred address", cm.Reason);
        Assert.Contains("needs root", cm.Reason);
        Assert.Empty(cmClient.ClientRequests);
        CellResult notRunnable = await Run(new StandInEndpoint(), new StandInEndpoint(), test: Handshake with { NotRunnableReason = "not run: no way here" });
        Assert.Equal(CellOutcome.NotRun, notRunnable.Outcome);
        Assert.Equal("not run: no way here", notRunnable.Reason);
    }

    [Fact]
    public async Task The_client_gets_the_runner_environment()
    {
        var client = new StandInEndpoint { CopyFiles = true };
        await Run(client, new StandInEndpoint());
        ClientRequest req = Assert.Single(client.ClientRequests);
        Assert.Equal("handshake", req.TestCase);
        string url = Assert.Single(req.Requests);
        Assert.Matches("^https://server4:443/[a-z]+-[a-z]+-[a-z]+$", url);
        Assert.Equal(System.Net.IPAddress.Loopback, req.Target.Address);
        Assert.Equal(TimeSpan.FromSeconds(60), req.Deadline);
    }
}
