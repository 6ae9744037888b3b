using System.Globalization;
using Transport.Interop.Checks;
using Transport.Interop.Peers;
using Transport.Interop.Relay;

namespace Transport.Interop.Matrix;

/// <summary>Runs the selected cells one after another (tests × pairs) and collects a <see cref="MatrixResult"/>.</summary>
public sealed class MatrixRunner
{
    private readonly MatrixOptions _options;
    private readonly TextWriter _log;
    private readonly ProgressLine _progress;

    /// <summary>A runner for <paramref name="options"/>, logging to <paramref name="log"/>.</summary>
    public MatrixRunner(MatrixOptions options, TextWriter log, ProgressLine progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(progress);
        _options = options;
        _log = log;
        _progress = progress;
    }

    /// <summary>Runs everything into <paramref name="outputDirectory"/>; stops early (with what ran) on cancellation.</summary>
    public async Task<MatrixResult> RunAsync(string outputDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        IReadOnlyList<MatrixTestCase> tests = _options.SelectedCases();
        IReadOnlyList<MatrixPair> pairs = _options.SelectedPairs();
        int seed = _options.EffectiveSeed(() => Random.Shared.Next(1, 1_000_000));
        var result = new MatrixResult { Tests = tests, Pairs = pairs, Quick = _options.Quick, Seed = seed };

        bool tshark = Tshark.EnsureInstalled(_log, TimeSpan.FromMinutes(5));
        if (!tshark) result.Notes.Add("tshark missing: cells were judged by exit code and files only (" + Tshark.NotInstalledMessage + ").");
        if (pairs.Any(p => p.Client == MatrixImplementation.Ngtcp2 || p.Server == MatrixImplementation.Ngtcp2) && !Ngtcp2.IsInstalled)
            result.Notes.Add(Ngtcp2.NotInstalledMessage);

        // connectionmigration with a foreign server redirects its preferred address to the relay through nftables (as root).
        if (tests.Any(t => t.ForeignServerNeedsRedirect) && pairs.Any(p => p.Server != MatrixImplementation.Ours))
        {
            LoopbackRedirect.RemoveStaleTables(_log);
            if (!LoopbackRedirect.EnsureAvailable(_log, TimeSpan.FromMinutes(5)))
                result.Notes.Add("connectionmigration with a foreign server not run: " + LoopbackRedirect.MissingReason);
        }

        // The runner's compliance probe (TESTCASES.md §1): an unknown TESTCASE must exit 127, else the implementation is skipped.
        var nonCompliant = new Dictionary<(MatrixImplementation, string), string>();
        if (pairs.Any(p => p.Client == MatrixImplementation.Ours || p.Server == MatrixImplementation.Ours))
        {
            foreach (string role in new[] { "client", "server" })
            {
                _progress.Show($"compliance probe: ours as {role}");
                string? failure = await ComplianceProbeAsync(role, Path.Combine(outputDirectory, "compliance-" + role), cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    nonCompliant[(MatrixImplementation.Ours, role)] = failure;
                    result.Notes.Add($"ours as {role} failed the compliance probe ({failure}); its cells were not run.");
                }
            }
        }

        int total = tests.Count * pairs.Count, index = 0;
        foreach (MatrixTestCase test in tests)
        {
            foreach (MatrixPair pair in pairs)
            {
                index++;
                if (cancellationToken.IsCancellationRequested) return result;
                string cellDir = Path.Combine(outputDirectory, "cells", test.Name, pair.Key);
                CellResult cell;
                if (nonCompliant.TryGetValue((pair.Client, "client"), out string? cf) || nonCompliant.TryGetValue((pair.Server, "server"), out cf))
                {
                    cell = new CellResult { Test = test.Name, Pair = pair.Key, Outcome = CellOutcome.NotRun, Reason = "skipped: failed the compliance probe (" + cf + ")" };
                }
                else
                {
                    _progress.Show($"[{index}/{total}] {test.Name} ({test.Abbreviation}) {pair.Header} ...");
                    try
                    {
                        cell = await new CellRunner(pair, tshark).RunAsync(test, _options.Quick, seed, cellDir, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        return result;
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        // One broken cell (a harness fault) must not lose the rest of the matrix.
                        cell = new CellResult { Test = test.Name, Pair = pair.Key, Outcome = CellOutcome.Failed, Reason = "harness error: " + e.Message, Artifacts = cellDir };
                    }
                }
                if (cell.Outcome != CellOutcome.Failed && !_options.KeepArtifacts && cell.Artifacts is not null)
                {
                    TryDelete(cell.Artifacts);
                    cell = cell with { Artifacts = null };
                }
                result.Cells.Add(cell);
                _progress.Show($"[{index}/{total}] {test.Name} ({test.Abbreviation}) {pair.Header}: {cell.CellText(100)} ({cell.Duration.TotalSeconds:0.0} s)");
                if (!Console.IsErrorRedirected) _progress.Done();
            }
        }
        _progress.Done();
        return result;
    }

    private static async Task<string?> ComplianceProbeAsync(string role, string directory, CancellationToken cancellationToken)
    {
        var ours = new OurEndpoint();
        if (ours.UnavailableReason is { } why) return why;
        string slug = "unknown-test-" + Random.Shared.Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(directory);
        var env = new Dictionary<string, string?> { ["TESTCASE"] = slug, ["REQUESTS"] = "", ["PORT"] = "0" };
        using PeerProcess p = OurEndpoint.Start(role, env, directory, TimeSpan.FromSeconds(20));
        int? code = await p.WaitForExitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        if (code == 127)
        {
            TryDelete(directory);
            return null;
        }
        return code is null ? $"TESTCASE={slug} did not exit within 15 s" : $"TESTCASE={slug} exited {code}, not 127";
    }

    private static void TryDelete(string directory)
    {
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
