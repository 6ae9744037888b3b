namespace Transport.Interop.Matrix;

/// <summary>
/// One of the runner's test cases (../shared/interop/TESTCASES.md §3): what each endpoint is told (TESTCASE), the
/// files, the network scenario, the timeout, and the quick (CI) variant.
/// </summary>
public sealed record MatrixTestCase
{
    /// <summary>The runner's name (handshake, transfer, ...).</summary>
    public required string Name { get; init; }

    /// <summary>The runner's letter(s) (H, DC, ...).</summary>
    public required string Abbreviation { get; init; }

    /// <summary>TESTCASE given to the server.</summary>
    public required string ServerTestCase { get; init; }

    /// <summary>TESTCASE given to the client.</summary>
    public required string ClientTestCase { get; init; }

    /// <summary>The simulator scenario (RelayScenario.Parse syntax).</summary>
    public string Scenario { get; init; } = DefaultScenario;

    /// <summary>Per-test timeout (the runner's: 60 s, 300 s for L1/C1, 180 s for crosstraffic).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The URL host: server4, server6 (ipv6) or server46 (connectionmigration).</summary>
    public string UrlHost { get; init; } = "server4";

    /// <summary>Certificates in cert.pem (9 for amplificationlimit).</summary>
    public int ChainLength { get; init; } = 1;

    /// <summary>Extra 250-character DNS names in the leaf (20 for amplificationlimit, as certs.sh does for long chains).</summary>
    public int ExtraLongNames { get; init; }

    /// <summary>File sizes (bytes) of the full catalogue.</summary>
    public required IReadOnlyList<int> FileSizes { get; init; }

    /// <summary>File sizes of the quick variant; null = same as <see cref="FileSizes"/>.</summary>
    public IReadOnlyList<int>? QuickFileSizes { get; init; }

    /// <summary>Length of random lowercase file names (zerortt: 250); 0 = three-word slugs.</summary>
    public int FileNameLength { get; init; }

    /// <summary>Runs (goodput and crosstraffic: 5); every one must pass.</summary>
    public int Repetitions { get; init; } = 1;

    /// <summary>Part of the quick (CI) subset.</summary>
    public bool InQuick { get; init; }

    /// <summary>Scenario of the quick variant; null = same as <see cref="Scenario"/>.</summary>
    public string? QuickScenario { get; init; }

    /// <summary>When set, the test cannot be run on this harness at all (the reason).</summary>
    public string? NotRunnableReason { get; init; }

    /// <summary>
    /// connectionmigration: a server that is not ours binds and advertises its preferred address itself, so the cell
    /// redirects the client's datagrams to that address to the relay's second port (<see cref="Relay.LoopbackRedirect"/>,
    /// nftables, root); without it the cell is not run.
    /// </summary>
    public bool ForeignServerNeedsRedirect { get; init; }
    /// <summary>crosstraffic: the relay models the runner's iperf3 TCP Cubic flow on the to-client bottleneck (Relay/CubicCrossFlow.cs).</summary>
    public bool CrossTraffic { get; init; }

    /// <summary>Whether the check needs a key log (informational; the check itself returns unsupported).</summary>
    public bool NeedsKeyLog { get; init; }

    /// <summary>The runner's default scenario.</summary>
    public const string DefaultScenario = "simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25";

    /// <summary>Sizes for the chosen variant.</summary>
    public IReadOnlyList<int> SizesFor(bool quick) => quick && QuickFileSizes is not null ? QuickFileSizes : FileSizes;

    /// <summary>Scenario for the chosen variant.</summary>
    public string ScenarioFor(bool quick) => quick && QuickScenario is not null ? QuickScenario : Scenario;
}
