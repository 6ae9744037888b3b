using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Transport.Interop.Checks;
using Transport.Interop.Peers;
using Transport.Interop.Relay;

namespace Transport.Interop.Matrix;

/// <summary>
/// Runs one cell the way the runner's _run_test does (TESTCASES.md §1): fresh /www and certificates, the server, the
/// relay ("sim") with its two pcaps, the client with the test's timeout; then the verdict: 127 from either side =
/// unsupported; client exit 0 = the test's check; anything else (or the timeout) = failed.
/// </summary>
public sealed class CellRunner
{
    private readonly MatrixEndpoint _client;
    private readonly MatrixEndpoint _server;
    private readonly bool _tsharkAvailable;

    /// <summary>A runner for <paramref name="pair"/>; <paramref name="tsharkAvailable"/> false = files-only checks.</summary>
    public CellRunner(MatrixPair pair, bool tsharkAvailable)
        : this(pair, MatrixEndpoint.For(pair?.Client ?? default), MatrixEndpoint.For(pair?.Server ?? default), tsharkAvailable)
    {
    }

    /// <summary>A runner with explicit endpoint drivers (tests use stand-ins).</summary>
    public CellRunner(MatrixPair pair, MatrixEndpoint client, MatrixEndpoint server, bool tsharkAvailable)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(server);
        Pair = pair;
        _client = client;
        _server = server;
        _tsharkAvailable = tsharkAvailable;
    }

    /// <summary>The column.</summary>
    public MatrixPair Pair { get; }

    /// <summary>
    /// Why <see cref="LoopbackRedirect"/> cannot be used here, or null when it can; default
    /// <see cref="LoopbackRedirect.MissingReason"/> (tests substitute their own).
    /// </summary>
    public Func<string?> RedirectMissingReason { get; init; } = () => LoopbackRedirect.MissingReason;

    private bool NeedsRedirect(MatrixTestCase test) => test.ForeignServerNeedsRedirect && Pair.Server != MatrixImplementation.Ours;

    /// <summary>Runs <paramref name="test"/> (all its repetitions) with artifacts under <paramref name="cellDirectory"/>.</summary>
    public async Task<CellResult> RunAsync(MatrixTestCase test, bool quick, int seed, string cellDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(test);
        var clock = Stopwatch.StartNew();
        CellResult Result(CellOutcome o, string reason) => new()
        {
            Test = test.Name, Pair = Pair.Key, Outcome = o, Reason = reason, Duration = clock.Elapsed, Artifacts = cellDirectory,
        };
        if (test.NotRunnableReason is { } notRun) return Result(CellOutcome.NotRun, notRun);
        if (NeedsRedirect(test) && RedirectMissingReason() is { } missing)
            return Result(CellOutcome.NotRun, "not run: the server binds and advertises its preferred address itself, and redirecting it " +
                "to the relay's second port needs an nftables rule: " + missing);
        string? unavailable = _client.UnavailableReason ?? _server.UnavailableReason;
        if (unavailable is not null) return Result(CellOutcome.Unavailable, unavailable);

        var goodputs = new List<double>();
        string note = "";
        for (int rep = 1; rep <= test.Repetitions; rep++)
        {
            string dir = test.Repetitions == 1 ? cellDirectory : Path.Combine(cellDirectory, "run" + rep.ToString(CultureInfo.InvariantCulture));
            (CellOutcome outcome, string reason, CheckContext? context) = await RunOnceAsync(test, quick, seed + rep - 1, dir, cancellationToken).ConfigureAwait(false);
            if (outcome != CellOutcome.Passed)
                return Result(outcome, test.Repetitions == 1 ? reason : $"run {rep}/{test.Repetitions}: {reason}");
            note = reason;
            if (test.Name is "goodput" or "crosstraffic" && context is not null)
            {
                long bytes = test.SizesFor(quick).Sum(s => (long)s);
                if (RunnerChecks.Goodput(context, bytes) is double g) goodputs.Add(g);
                else return Result(CellOutcome.Failed, $"run {rep}: no server 1-RTT packets to time");
            }
        }
        if (goodputs.Count > 0)
        {
            double mean = goodputs.Average();
            double sd = Math.Sqrt(goodputs.Sum(g => (g - mean) * (g - mean)) / goodputs.Count);
            return Result(CellOutcome.Passed, $"{mean:0} ± {sd:0} kbps");
        }
        return Result(CellOutcome.Passed, note);
    }

    private async Task<(CellOutcome, string, CheckContext?)> RunOnceAsync(MatrixTestCase test, bool quick, int seed, string dir, CancellationToken cancellationToken)
    {
        string www = Path.Combine(dir, "www");
        string downloads = Path.Combine(dir, "downloads");
        string serverLogs = Path.Combine(dir, "logs", "server");
        string clientLogs = Path.Combine(dir, "logs", "client");
        string sim = Path.Combine(dir, "sim");
        foreach (string d in new[] { downloads, serverLogs, clientLogs, sim, Path.Combine(dir, "client-www"), Path.Combine(dir, "server-downloads") })
            Directory.CreateDirectory(d);

        var files = new InteropWww(www, seed ^ StableHash(test.Name));
        foreach (int size in test.SizesFor(quick))
        {
            if (test.FileNameLength > 0) files.AddFileWithRandomName(size, test.FileNameLength);
            else files.AddFile(size);
        }
        using TestCertificates certs = TestCertificates.Create(Path.Combine(dir, "certs"), test.ChainLength, extraLongNames: test.ExtraLongNames);

        IPAddress address = test.UrlHost == "server6" ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        TimeSpan lifetime = test.Timeout + TimeSpan.FromSeconds(30);
        // connectionmigration: the relay's second port, advertised by the server as its preferred address.
        IPEndPoint? relayPreferred = test.Name == "connectionmigration" ? new IPEndPoint(address, UdpPorts.GetFree(address)) : null;
        ServerStart start = await _server.StartServerAsync(new ServerRequest
        {
            TestCase = test.ServerTestCase, Address = address, WebRoot = www, Certificates = certs, LogDirectory = serverLogs,
            DownloadDirectory = Path.Combine(dir, "server-downloads"), Lifetime = lifetime, AdvertisedPreferredAddress = relayPreferred,
        }, cancellationToken).ConfigureAwait(false);
        if (start.Server is null) return (start.Outcome ?? CellOutcome.Failed, start.Reason, null);

        ClientRun run;
        IPEndPoint serverEndPoint, relayEndPoint;
        IReadOnlyList<IPEndPoint> moreServer;
        string leftPcap = Path.Combine(sim, "trace_node_left.pcap"), rightPcap = Path.Combine(sim, "trace_node_right.pcap");
        await using (IMatrixServer server = start.Server)
        {
            serverEndPoint = server.EndPoint;
            moreServer = server.MoreEndPoints;
            bool redirecting = relayPreferred is not null && NeedsRedirect(test);
            if (redirecting && moreServer.Count == 0) return (CellOutcome.Failed, "the server advertised no preferred address to redirect", null);
            string[] requests = files.Files.Select(f => $"https://{test.UrlHost}:443/{f}").ToArray();
            ClientRequest Request(IPEndPoint target) => new()
            {
                TestCase = test.ClientTestCase, Requests = requests, Target = target, DownloadDirectory = downloads,
                LogDirectory = clientLogs, CertificatesDirectory = certs.Directory, WebRoot = Path.Combine(dir, "client-www"),
                Deadline = test.Timeout,
                ServerAlpn = Pair.Server == MatrixImplementation.Ngtcp2 ? "h3" : null,
            };
            {
                using var relay = new UdpRelay(new UdpRelayOptions
                {
                    ListenEndPoint = new IPEndPoint(address, 0),
                    ServerEndPoint = new IPEndPoint(address, serverEndPoint.Port),
                    Scenario = RelayScenario.Parse(test.ScenarioFor(quick)),
                    Seed = seed,
                    ClientPcapPath = leftPcap,
                    ServerPcapPath = rightPcap,
                    Lifetime = lifetime,
                    RealTimePriority = true,
                    PreferredListenEndPoint = relayPreferred is not null && moreServer.Count > 0 ? relayPreferred : null,
                    PreferredServerEndPoint = relayPreferred is not null && moreServer.Count > 0 ? moreServer[0] : null,
                    TcpCubicCrossTraffic = test.CrossTraffic,
                    UpstreamSocketMark = redirecting ? LoopbackRedirect.BypassMark : 0,
                });
                relayEndPoint = relay.ListenEndPoint;
                // A foreign server's own preferred address: the client's datagrams to it go to the relay's second port
                // (the relay's marked upstream sockets still reach it); the table is deleted however the run ends.
                using LoopbackRedirect? redirect = redirecting ? LoopbackRedirect.Create(moreServer[0], relay.PreferredListenEndPoint!) : null;
                run = await _client.RunClientAsync(Request(relayEndPoint), cancellationToken).ConfigureAwait(false);
                File.WriteAllText(Path.Combine(sim, "relay.txt"), relay.Statistics.ToString() + (relay.CrossTraffic is { } x
                    ? $"\ncross traffic (TCP Cubic, to client): segments sent {x.Sent}, delivered {x.Delivered}, dropped {x.Dropped}, window reductions {x.Reductions}" : ""));
            }
            if (server.ExitCode == 127) return (CellOutcome.Unsupported, "server exited 127", null);
        }

        if (run.ExitCode == 127) return (CellOutcome.Unsupported, "client exited 127", null);
        if (run.TimedOut) return (CellOutcome.Failed, $"timed out after {test.Timeout.TotalSeconds:0} s {run.Detail}".Trim(), null);
        if (run.ExitCode != 0) return (CellOutcome.Failed, $"client exited with code {run.ExitCode}: {Shorten(run.Detail, 200)}", null);

        string? keyLog = KeyLogChoice.Choose(run.KeyLogPath, start.Server.KeyLogPath);
        var input = new CheckInput
        {
            ClientTraceServer = relayEndPoint.ToString(), ServerTraceServer = serverEndPoint.ToString(),
            MoreServerEndPoints = moreServer.Concat(relayPreferred is null ? [] : [relayPreferred]).Select(e => e.ToString()).ToList(),
            ClientPcap = Path.GetRelativePath(dir, leftPcap), ServerPcap = Path.GetRelativePath(dir, rightPcap),
            KeyLog = keyLog is null ? null : Path.GetRelativePath(dir, keyLog), Files = files.Files,
        };
        input.Save(dir);
        CheckContext context = CheckInput.LoadContext(dir, Path.Combine(dir, "tshark"));
        if (!_tsharkAvailable)
        {
            CheckResult f = RunnerChecks.Files(context);
            return f.Succeeded ? (CellOutcome.Passed, "files only: tshark missing", context) : (CellOutcome.Failed, f.Reason, context);
        }
        CheckResult check;
        try
        {
            check = RunnerChecks.Check(test.Name, context);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // tshark failed, timed out or printed something unparseable: the cell cannot be judged, which is a failure.
            return (CellOutcome.Failed, "check could not run: " + Shorten(e.Message, 200), context);
        }
        return check.Outcome switch
        {
            CheckOutcome.Succeeded => (CellOutcome.Passed, check.Reason, context),
            CheckOutcome.Unsupported => (CellOutcome.Unsupported, check.Reason, context),
            _ => (CellOutcome.Failed, check.Reason, context),
        };
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..max] + "...";

    // string.GetHashCode is randomized per process; the files must follow from the seed alone.
    private static int StableHash(string s)
    {
        int h = 17;
        foreach (char ch in s) h = unchecked(h * 31 + ch);
        return h;
    }
}
