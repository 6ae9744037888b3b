using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Transport.Interop.Matrix;

/// <summary>Writes a <see cref="MatrixResult"/> as the runner's table: Markdown, JSON and plain console text.</summary>
public static class MatrixReport
{
    /// <summary>Markdown: rows = tests with letters, columns = "client → server", cells = pass / FAIL: reason / unsupported.</summary>
    public static string ToMarkdown(MatrixResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append("# Interop matrix ").Append(result.Started.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture))
          .Append(result.Quick ? " (quick)" : "").Append(", seed ").Append(result.Seed).Append("\n\n");
        sb.Append("Columns are client → server. ");
        sb.Append(Summary(result)).Append("\n\n");
        sb.Append("| test | ");
        sb.AppendJoin(" | ", result.Pairs.Select(p => p.Header));
        sb.Append(" |\n|---|");
        foreach (MatrixPair _ in result.Pairs) sb.Append("---|");
        sb.Append('\n');
        foreach (MatrixTestCase t in result.Tests)
        {
            sb.Append("| ").Append(t.Name).Append(" (").Append(t.Abbreviation).Append(") |");
            foreach (MatrixPair p in result.Pairs)
            {
                CellResult? c = result.Cell(t.Name, p.Key);
                sb.Append(' ').Append(c is null ? "—" : Escape(c.CellText(120))).Append(" |");
            }
            sb.Append('\n');
        }
        if (result.Notes.Count > 0)
        {
            sb.Append('\n');
            foreach (string n in result.Notes) sb.Append("* ").Append(n).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Counts of passes, failures, unsupported.</summary>
    public static string Summary(MatrixResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int Count(CellOutcome o) => result.Cells.Count(c => c.Outcome == o);
        return $"{Count(CellOutcome.Passed)} passed, {Count(CellOutcome.Failed)} failed, {Count(CellOutcome.Unsupported)} unsupported, " +
               $"{Count(CellOutcome.Unavailable)} unavailable, {Count(CellOutcome.NotRun)} not run.";
    }

    /// <summary>JSON: {started, quick, seed, tests:[{name, abbreviation}], pairs:[key], cells:[{test, pair, outcome, reason, seconds, artifacts}]}.</summary>
    public static string ToJson(MatrixResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var cells = new JsonArray();
        foreach (CellResult c in result.Cells)
        {
            cells.Add(new JsonObject
            {
                ["test"] = c.Test, ["pair"] = c.Pair, ["outcome"] = OutcomeName(c.Outcome), ["reason"] = c.Reason,
                ["seconds"] = Math.Round(c.Duration.TotalSeconds, 1), ["artifacts"] = c.Artifacts,
            });
        }
        var root = new JsonObject
        {
            ["started"] = result.Started.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["quick"] = result.Quick,
            ["seed"] = result.Seed,
            ["tests"] = new JsonArray(result.Tests.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["abbreviation"] = t.Abbreviation }).ToArray()),
            ["pairs"] = new JsonArray(result.Pairs.Select(p => (JsonNode)JsonValue.Create(p.Key)).ToArray()),
            ["cells"] = cells,
            ["notes"] = new JsonArray(result.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Lower-case outcome name used in JSON ("passed", "failed", "unsupported", "unavailable", "notrun").</summary>
    public static string OutcomeName(CellOutcome outcome) => outcome switch
    {
        CellOutcome.Passed => "passed",
        CellOutcome.Failed => "failed",
        CellOutcome.Unsupported => "unsupported",
        CellOutcome.Unavailable => "unavailable",
        CellOutcome.NotRun => "notrun",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    /// <summary>A fixed-width console table with short cells (✓, ✗ reason, U, -).</summary>
    public static string ToConsole(MatrixResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        const int width = 18;
        var sb = new StringBuilder();
        sb.Append("test".PadRight(26));
        foreach (MatrixPair p in result.Pairs) sb.Append(Fit(p.Header, width)).Append(' ');
        sb.Append('\n');
        foreach (MatrixTestCase t in result.Tests)
        {
            sb.Append(Fit($"{t.Name} ({t.Abbreviation})", 25)).Append(' ');
            foreach (MatrixPair p in result.Pairs)
            {
                CellResult? c = result.Cell(t.Name, p.Key);
                string text = c is null ? "—" : c.Outcome switch
                {
                    CellOutcome.Passed => "pass",
                    CellOutcome.Failed => "FAIL " + c.Reason,
                    CellOutcome.Unsupported => "unsupported",
                    CellOutcome.Unavailable => "unavailable",
                    _ => "not run",
                };
                sb.Append(Fit(text, width)).Append(' ');
            }
            sb.Append('\n');
        }
        sb.Append(Summary(result)).Append('\n');
        return sb.ToString();
    }

    private static string Fit(string s, int width) => s.Length > width ? s[..(width - 1)] + "…" : s.PadRight(width);

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
