using System.Text.Json;

namespace Transport.Interop.Matrix;

/// <summary>
/// interop/expected.json: the cells known to pass, per pair key, e.g.
/// <c>{"passing": {"ngtcp2-ngtcp2": ["handshake", "transfer"], "ours-ours": []}}</c>. A listed cell that was run and
/// did not pass is a regression; cells not run are ignored.
/// </summary>
public sealed class ExpectedCells
{
    private readonly Dictionary<string, HashSet<string>> _passing;

    private ExpectedCells(Dictionary<string, HashSet<string>> passing) => _passing = passing;

    /// <summary>Pair key → tests listed as passing.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Passing => _passing;

    /// <summary>Reads a file; throws <see cref="FormatException"/> when it is not in the expected shape.</summary>
    public static ExpectedCells Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(File.ReadAllText(path));
    }

    /// <summary>Parses the JSON text.</summary>
    public static ExpectedCells Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using JsonDocument doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("passing", out JsonElement passing) || passing.ValueKind != JsonValueKind.Object)
            throw new FormatException("expected.json needs an object \"passing\": {\"<client>-<server>\": [\"test\", ...]}.");
        var map = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (JsonProperty pair in passing.EnumerateObject())
        {
            MatrixPair.Parse(pair.Name); // validates the key
            if (pair.Value.ValueKind != JsonValueKind.Array) throw new FormatException($"\"{pair.Name}\" must be an array of test names.");
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonElement t in pair.Value.EnumerateArray())
            {
                string name = t.GetString() ?? "";
                if (MatrixCatalogue.Find(name) is null) throw new FormatException($"Unknown test '{name}' under \"{pair.Name}\".");
                set.Add(MatrixCatalogue.Find(name)!.Name);
            }
            map[pair.Name] = set;
        }
        return new ExpectedCells(map);
    }

    /// <summary>Whether <paramref name="test"/> × <paramref name="pair"/> is listed as passing.</summary>
    public bool ExpectsPass(string pair, string test) => _passing.TryGetValue(pair, out HashSet<string>? s) && s.Contains(test);

    /// <summary>Cells listed as passing that ran and did not pass.</summary>
    public List<CellResult> Regressions(MatrixResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Cells.Where(c => ExpectsPass(c.Pair, c.Test) && c.Outcome != CellOutcome.Passed).ToList();
    }

    /// <summary>Cells that passed but are not listed (candidates to add).</summary>
    public List<CellResult> NewPasses(MatrixResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Cells.Where(c => c.Outcome == CellOutcome.Passed && !ExpectsPass(c.Pair, c.Test)).ToList();
    }
}
