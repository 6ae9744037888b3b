using Transport.Interop.Matrix;
using Transport.Interop.Peers;
using Transport.Interop.Tests.Peers;
using Xunit.Abstractions;

namespace Transport.Interop.Tests.Matrix;

/// <summary>
/// The CI subset of the interop matrix (issue 6): <c>matrix --quick --peer ngtcp2</c> (columns ours → ngtcp2,
/// ngtcp2 → ours, ours → ours and the reference ngtcp2 → ngtcp2), failing when a cell that interop/expected.json lists
/// as passing does not pass twice in a row (a failure is rerun once with another seed). About 1-1.5 minutes on an idle 2-core machine; 4-6 minutes were measured on this shared machine at load 20-40.
/// </summary>
public sealed class QuickMatrixTests(ITestOutputHelper output)
{
    [RequiresNgtcp2Fact(Timeout = 900_000)]
    public async Task Quick_matrix_keeps_every_cell_listed_as_passing()
    {
        string root = RepositoryRoot();
        ExpectedCells expected = ExpectedCells.Load(Path.Combine(root, "interop", "expected.json"));
        using var dir = new PeerTestDirectory("quick-matrix");
        MatrixOptions options = MatrixOptions.Parse(["--quick", "--peer", "ngtcp2"]);
        var log = new StringWriter();
        MatrixResult result = await new MatrixRunner(options, log, new ProgressLine(log, overwrite: false)).RunAsync(dir.Path, CancellationToken.None);
        string markdown = MatrixReport.ToMarkdown(result);
        output.WriteLine(markdown);

        Assert.Equal(options.SelectedCases().Count * options.SelectedPairs().Count, result.Cells.Count);
        List<CellResult> regressions = expected.Regressions(result);
        if (regressions.Count > 0)
        {
            // Loopback cells on a loaded 2-core machine have timing margins (zerortt's 5000-byte 1-RTT budget is spent
            // when the handshake completes before the client has written all 39 requests): a listed cell that fails is
            // run once more with another seed, and only a second failure counts. The first failure is reported either way.
            string cases = string.Join(",", regressions.Select(r => r.Test).Distinct());
            output.WriteLine($"retrying {cases} after: " + string.Join("; ", regressions.Select(r => $"{r.Test} {r.Pair}: {r.CellText(200)}")));
            MatrixOptions retryOptions = MatrixOptions.Parse(["--quick", "--peer", "ngtcp2", "--case", cases, "--seed", "2"]);
            MatrixResult retry = await new MatrixRunner(retryOptions, log, new ProgressLine(log, overwrite: false))
                .RunAsync(Path.Combine(dir.Path, "retry"), CancellationToken.None);
            List<CellResult> again = expected.Regressions(retry);
            regressions = regressions.Where(r => again.Any(a => a.Test == r.Test && a.Pair == r.Pair)).ToList();
            output.WriteLine(MatrixReport.ToMarkdown(retry));
        }
        Assert.True(regressions.Count == 0,
            "cells listed as passing in interop/expected.json did not pass:\n" +
            string.Join("\n", regressions.Select(r => $"  {r.Test} {r.Pair}: {r.CellText(300)} (artifacts: {r.Artifacts})")) +
            "\n\n" + markdown + "\n" + log);
        // The reference column validates the harness itself (what it must pass is listed in expected.json).
        Assert.Equal(CellOutcome.Unsupported, result.Cell("v2", "ngtcp2-ngtcp2")!.Outcome); // Debian's 0.12 has no RFC 9369 v2
    }

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "interop", "expected.json"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new DirectoryNotFoundException("interop/expected.json not found above " + AppContext.BaseDirectory);
    }
}
