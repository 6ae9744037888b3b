using System.Globalization;

namespace Transport.Interop.Matrix;

/// <summary>
/// Arguments of <c>matrix [--peer ngtcp2|msquic|self|all]... [--case NAME...] [--quick] [--seed N] [--out DIR]
/// [--expected FILE] [--keep] [--list]</c>.
/// </summary>
public sealed class MatrixOptions
{
    /// <summary>The --peer values (default "all").</summary>
    public List<string> Peers { get; } = [];

    /// <summary>Selected test names (runner names or letters); empty = all (or the quick subset with --quick).</summary>
    public List<string> Cases { get; } = [];

    /// <summary>The quick (CI) variant: the quick subset, small files, fixed seed.</summary>
    public bool Quick { get; set; }

    /// <summary>Seed of files and of the relay's random choices; null = fixed 1 with --quick, random otherwise.</summary>
    public int? Seed { get; set; }

    /// <summary>Results folder; null = results/interop/&lt;UTC timestamp&gt; under the current directory.</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>expected.json to compare with (exit code 1 when a cell listed as passing did not pass).</summary>
    public string? ExpectedPath { get; set; }

    /// <summary>Keep every cell's pcaps, files and logs (default: only failing cells').</summary>
    public bool KeepArtifacts { get; set; }

    /// <summary>Only list the test cases and columns.</summary>
    public bool ListOnly { get; set; }

    /// <summary>Usage text.</summary>
    public const string Usage =
        "usage: Transport.Interop matrix [--peer ngtcp2|msquic|self|all]... [--case NAME...] [--quick] [--seed N]\n" +
        "                                [--out DIR] [--expected FILE] [--keep] [--list]\n" +
        "  --peer      columns: for a peer P: ours→P, P→ours, ours→ours and the reference P→P (default all)\n" +
        "  --case      test cases by runner name or letters (default: all, or the quick subset with --quick)\n" +
        "  --quick     CI subset with small files and a fixed seed\n" +
        "  --seed      seed for files and the relay's random choices\n" +
        "  --out       results folder (default results/interop/<UTC timestamp>)\n" +
        "  --expected  expected.json: exit 1 if a cell listed as passing did not pass\n" +
        "  --keep      keep every cell's pcaps and files (default: failing cells only)\n" +
        "  --list      print the test cases and columns, run nothing";

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> naming the bad argument.</summary>
    public static MatrixOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var o = new MatrixOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? inline = null;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0) { inline = a[(eq + 1)..]; a = a[..eq]; }
            switch (a)
            {
                case "--peer":
                    foreach (string p in Values(args, ref i, inline, a)) o.Peers.Add(ValidatePeer(p));
                    break;
                case "--case":
                case "--cases":
                    foreach (string c in Values(args, ref i, inline, a))
                        foreach (string one in c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                            o.Cases.Add(MatrixCatalogue.Find(one)?.Name ?? throw new ArgumentException(
                                $"Unknown test case '{one}' (known: {string.Join(", ", MatrixCatalogue.All.Select(t => t.Name))})."));
                    break;
                case "--quick":
                    o.Quick = true;
                    break;
                case "--keep":
                    o.KeepArtifacts = true;
                    break;
                case "--list":
                    o.ListOnly = true;
                    break;
                case "--seed":
                    string s = Single(args, ref i, inline, a);
                    o.Seed = int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
                        ? seed : throw new ArgumentException($"--seed needs an integer (was '{s}').");
                    break;
                case "--out":
                    o.OutputDirectory = Single(args, ref i, inline, a);
                    break;
                case "--expected":
                    o.ExpectedPath = Single(args, ref i, inline, a);
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        if (o.Peers.Count == 0) o.Peers.Add("all");
        return o;
    }

    /// <summary>The test cases selected, in catalogue order.</summary>
    public IReadOnlyList<MatrixTestCase> SelectedCases() =>
        MatrixCatalogue.All.Where(t => Cases.Count > 0 ? Cases.Contains(t.Name) : !Quick || t.InQuick).ToList();

    /// <summary>The columns selected.</summary>
    public IReadOnlyList<MatrixPair> SelectedPairs() => MatrixPair.ForPeers(Peers);

    /// <summary>The seed to use (fixed 1 for --quick unless given).</summary>
    public int EffectiveSeed(Func<int> random) => Seed ?? (Quick ? 1 : random());

    private static string ValidatePeer(string p)
    {
        string l = p.ToLowerInvariant();
        return l is "ngtcp2" or "msquic" or "self" or "all" or "ours" ? l
            : throw new ArgumentException($"Unknown peer '{p}' (known: ngtcp2, msquic, self, all).");
    }

    // A flag's values: the inline one (--x=a) or every following argument up to the next flag.
    private static List<string> Values(IReadOnlyList<string> args, ref int i, string? inline, string flag)
    {
        if (inline is not null) return [inline];
        var values = new List<string>();
        while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) values.Add(args[++i]);
        if (values.Count == 0) throw new ArgumentException($"{flag} needs a value.");
        return values;
    }

    private static string Single(IReadOnlyList<string> args, ref int i, string? inline, string flag)
    {
        if (inline is not null) return inline;
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"{flag} needs a value.");
        return args[++i];
    }
}
