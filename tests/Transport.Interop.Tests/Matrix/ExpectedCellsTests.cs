using Transport.Interop.Matrix;

namespace Transport.Interop.Tests.Matrix;

public sealed class ExpectedCellsTests
{
    private static MatrixResult Result(params (string Test, string Pair, CellOutcome Outcome)[] cells)
    {
        var r = new MatrixResult { Tests = MatrixCatalogue.All, Pairs = MatrixPair.ForPeers(["ngtcp2"]) };
        foreach (var (t, p, o) in cells) r.Cells.Add(new CellResult { Test = t, Pair = p, Outcome = o, Reason = o == CellOutcome.Failed ? "boom" : "" });
        return r;
    }

    [Fact]
    public void A_listed_cell_that_fails_is_a_regression_and_unlisted_passes_are_reported()
    {
        ExpectedCells e = ExpectedCells.Parse("""{ "passing": { "ngtcp2-ngtcp2": ["handshake", "DC"], "ours-ours": [] } }""");
        Assert.True(e.ExpectsPass("ngtcp2-ngtcp2", "transfer"));
        MatrixResult r = Result(("handshake", "ngtcp2-ngtcp2", CellOutcome.Passed), ("transfer", "ngtcp2-ngtcp2", CellOutcome.Failed),
            ("retry", "ngtcp2-ngtcp2", CellOutcome.Passed), ("handshake", "ours-ours", CellOutcome.Unsupported));
        Assert.Equal(["transfer"], e.Regressions(r).Select(c => c.Test));
        Assert.Equal(["retry"], e.NewPasses(r).Select(c => c.Test));
    }

    [Fact]
    public void Unsupported_counts_as_a_regression_for_a_listed_cell_but_a_cell_not_run_does_not()
    {
        ExpectedCells e = ExpectedCells.Parse("""{ "passing": { "ours-ours": ["handshake", "retry"] } }""");
        MatrixResult r = Result(("handshake", "ours-ours", CellOutcome.Unsupported));
        Assert.Single(e.Regressions(r));
    }

    [Theory]
    [InlineData("""{ }""")]
    [InlineData("""{ "passing": [] }""")]
    [InlineData("""{ "passing": { "ours-ours": "handshake" } }""")]
    [InlineData("""{ "passing": { "ours-ours": ["nosuchtest"] } }""")]
    public void Malformed_files_are_rejected(string json) =>
        Assert.Throws<FormatException>(() => ExpectedCells.Parse(json));

    [Fact]
    public void Bad_pair_keys_are_rejected() =>
        Assert.Throws<ArgumentException>(() => ExpectedCells.Parse("""{ "passing": { "quiche-ours": [] } }"""));

    [Fact]
    public void The_repository_expected_json_parses()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "interop", "expected.json"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        ExpectedCells e = ExpectedCells.Load(Path.Combine(dir, "interop", "expected.json"));
        Assert.True(e.Passing.ContainsKey("ngtcp2-ngtcp2"));
    }

    [Fact]
    public void Report_exits_1_on_a_regression_and_writes_markdown_and_json()
    {
        using var dir = new Peers.PeerTestDirectory("matrix-report");
        ExpectedCells e = ExpectedCells.Parse("""{ "passing": { "ngtcp2-ngtcp2": ["transfer"] } }""");
        var console = new StringWriter();
        int code = MatrixCommand.Report(Result(("transfer", "ngtcp2-ngtcp2", CellOutcome.Failed)), e, dir.Path, console);
        Assert.Equal(1, code);
        Assert.Contains("REGRESSION: transfer ngtcp2-ngtcp2", File.ReadAllText(Path.Combine(dir.Path, "matrix.md")));
        Assert.Contains("\"outcome\": \"failed\"", File.ReadAllText(Path.Combine(dir.Path, "matrix.json")));
        Assert.Equal(0, MatrixCommand.Report(Result(("transfer", "ngtcp2-ngtcp2", CellOutcome.Passed)), e, dir.Path, new StringWriter()));
    }
}
