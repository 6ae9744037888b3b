using System.Text.Json;
using Transport.Interop.Matrix;

namespace Transport.Interop.Tests.Matrix;

public sealed class MatrixReportTests
{
    private static MatrixResult Sample()
    {
        var r = new MatrixResult { Tests = [MatrixCatalogue.Find("handshake")!, MatrixCatalogue.Find("transfer")!], Pairs = MatrixPair.ForPeers(["ngtcp2"]), Seed = 5 };
        r.Cells.Add(new CellResult { Test = "handshake", Pair = "ngtcp2-ngtcp2", Outcome = CellOutcome.Passed });
        r.Cells.Add(new CellResult { Test = "handshake", Pair = "ours-ours", Outcome = CellOutcome.Unsupported, Reason = "server exited 127" });
        r.Cells.Add(new CellResult { Test = "transfer", Pair = "ngtcp2-ngtcp2", Outcome = CellOutcome.Failed, Reason = "Expected exactly 1 handshake. Got: 2 | odd" });
        r.Cells.Add(new CellResult { Test = "transfer", Pair = "ours-ngtcp2", Outcome = CellOutcome.Unavailable, Reason = "libmsquic not installed" });
        return r;
    }

    [Fact]
    public void Markdown_has_rows_with_letters_columns_per_pair_and_cell_texts()
    {
        string md = MatrixReport.ToMarkdown(Sample());
        string[] lines = md.Split('\n');
        string header = lines.First(l => l.StartsWith("| test |", StringComparison.Ordinal));
        Assert.Equal("| test | ours → ngtcp2 | ngtcp2 → ours | ours → ours | ngtcp2 → ngtcp2 |", header);
        string transfer = lines.First(l => l.StartsWith("| transfer (DC)", StringComparison.Ordinal));
        Assert.Contains("FAIL: Expected exactly 1 handshake. Got: 2 \\| odd", transfer); // the pipe is escaped
        Assert.Contains("unavailable: libmsquic not installed", transfer);
        Assert.Contains("—", transfer); // not run cells
        string handshake = lines.First(l => l.StartsWith("| handshake (H)", StringComparison.Ordinal));
        Assert.Contains("| pass |", handshake);
        Assert.Contains("unsupported: server exited 127", handshake);
        Assert.Contains("1 passed, 1 failed, 1 unsupported, 1 unavailable, 0 not run.", md);
    }

    [Fact]
    public void Json_lists_every_cell_with_its_outcome()
    {
        using JsonDocument doc = JsonDocument.Parse(MatrixReport.ToJson(Sample()));
        JsonElement cells = doc.RootElement.GetProperty("cells");
        Assert.Equal(4, cells.GetArrayLength());
        Assert.Equal("failed", cells[2].GetProperty("outcome").GetString());
        Assert.Equal("ngtcp2-ngtcp2", cells[2].GetProperty("pair").GetString());
        Assert.Equal(5, doc.RootElement.GetProperty("seed").GetInt32());
        Assert.Equal("DC", doc.RootElement.GetProperty("tests")[1].GetProperty("abbreviation").GetString());
    }

    [Fact]
    public void Progress_overwrites_on_a_terminal_and_writes_lines_otherwise()
    {
        var tty = new StringWriter();
        var p = new ProgressLine(tty, overwrite: true);
        p.Show("[1/2] handshake long text");
        p.Show("[2/2] x");
        p.Done();
        Assert.Equal("\r[1/2] handshake long text\r[2/2] x" + new string(' ', "[1/2] handshake long text".Length - "[2/2] x".Length) + Environment.NewLine, tty.ToString());
        var plain = new StringWriter();
        var q = new ProgressLine(plain, overwrite: false);
        q.Show("a");
        q.Show("b");
        q.Done();
        Assert.Equal("a" + Environment.NewLine + "b" + Environment.NewLine, plain.ToString());
    }
}
