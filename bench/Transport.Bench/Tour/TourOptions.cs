using System.Globalization;

namespace Transport.Bench.Tour;

/// <summary>The <c>tour</c> command's options (see <see cref="Usage"/>).</summary>
internal sealed class TourOptions
{
    /// <summary>Every section the tour knows, in running order.</summary>
    public static readonly string[] Sections = [LoopbackSection.Name, SetupSection.Name, CongestionSection.Name, HolSection.Name, ScaleSection.Name];

    /// <summary>The short version (well under 3 minutes): short warm-ups and measurements.</summary>
    public bool Quick { get; private init; }

    /// <summary>Where results go; null means results/tour/&lt;timestamp&gt;/ under the repository root.</summary>
    public string? ResultsDirectory { get; private init; }

    /// <summary>The sections to run (all when --only is absent).</summary>
    public IReadOnlyList<string> OnlySections { get; private init; } = Sections;

    /// <summary>The contender whose figures the ratios divide by.</summary>
    public string Reference { get; private init; } = ContenderRegistry.DefaultReference;

    /// <summary>--check was given: check every contender's correctness instead of measuring.</summary>
    public bool Check { get; private init; }

    /// <summary>--child-json (internal): run the sections in this process and print their tables as JSON only (see <see cref="SectionChild"/>).</summary>
    public bool ChildJson { get; private init; }

    /// <summary>--scale-server (internal): be the server child process of the scale section.</summary>
    public bool ScaleServer { get; private init; }

    /// <summary>--help was given.</summary>
    public bool Help { get; private init; }

    /// <summary>Measured time of one measurement of one contender.</summary>
    public TimeSpan MeasureTime { get; private init; }

    /// <summary>Unmeasured warm-up (JIT, connection, TCP window growth) before each measurement.</summary>
    public TimeSpan WarmupTime { get; private init; }

    /// <summary>Rounds each measurement's time is split into; the contender order rotates every round.</summary>
    public int Rounds { get; private init; }

    /// <summary>Requests in flight in the pipelined request/response measurement.</summary>
    public int PipelineDepth { get; private init; } = 16;

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Transport.Bench -- tour [options]

        Compares stream transports on this machine, all in one run, and prints Markdown tables with ratios to a
        reference contender; writes the tables, SVG charts and results.json to the results folder.

          --quick            short version (about 1 s per measurement; under 3 minutes; for CI smoke tests)
          --seconds S        measured seconds per measurement and contender, all rounds (default 5, quick 1)
          --rounds R         split each measurement into R rounds, rotating the contender order (default 5, quick 2)
          --results DIR      results folder (default results/tour/<UTC timestamp>/ under the repository root)
          --only SECTIONS    comma-separated sections to run: loopback, setup, congestion, hol, scale (default: all)
          --reference NAME   contender the ratios divide by (default "kernel TCP")
          --check            instead of measuring, check every available contender for correctness: 8 concurrent
                             echo streams on one connection plus a byte-counting sink (exit code 1 on failure)
          --help             this text
        """;

    /// <summary>Parses <paramref name="args"/>; on a bad option returns null and sets <paramref name="error"/>.</summary>
    public static TourOptions? Parse(string[] args, out string? error)
    {
        error = null;
        bool quick = false, help = false, check = false, childJson = false, scaleServer = false;
        string? results = null, reference = null;
        double? seconds = null;
        int? rounds = null;
        IReadOnlyList<string> only = Sections;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? Next()
            {
                if (i + 1 < args.Length) return args[++i];
                return null;
            }
            switch (arg)
            {
                case "--quick": quick = true; break;
                case "--check": check = true; break;
                case "--child-json": childJson = true; break;
                case "--scale-server": scaleServer = true; break;
                case "--help" or "-h" or "-?": help = true; break;
                case "--results":
                    results = Next();
                    if (string.IsNullOrWhiteSpace(results)) { error = "--results needs a directory"; return null; }
                    break;
                case "--reference":
                    reference = Next();
                    if (string.IsNullOrWhiteSpace(reference)) { error = "--reference needs a contender name"; return null; }
                    break;
                case "--seconds":
                    string? s = Next();
                    if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v is <= 0 or > 600)
                    { error = $"--seconds needs a number of seconds in (0, 600], got '{s}'"; return null; }
                    seconds = v;
                    break;
                case "--rounds":
                    string? rs = Next();
                    if (!int.TryParse(rs, NumberStyles.None, CultureInfo.InvariantCulture, out int rv) || rv is < 1 or > 100)
                    { error = $"--rounds needs a whole number in 1..100, got '{rs}'"; return null; }
                    rounds = rv;
                    break;
                case "--only":
                    string? list = Next();
                    string[] names = (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (names.Length == 0) { error = $"--only needs sections from: {string.Join(", ", Sections)}"; return null; }
                    foreach (string name in names)
                    {
                        if (Array.IndexOf(Sections, name) < 0) { error = $"unknown section '{name}'; sections: {string.Join(", ", Sections)}"; return null; }
                    }
                    only = names;
                    break;
                default:
                    error = $"unknown option '{arg}'";
                    return null;
            }
        }
        TimeSpan measure = TimeSpan.FromSeconds(seconds ?? (quick ? 1 : 5));
        return new TourOptions
        {
            Quick = quick,
            Help = help,
            Check = check,
            ChildJson = childJson,
            ScaleServer = scaleServer,
            ResultsDirectory = results,
            Reference = reference ?? ContenderRegistry.DefaultReference,
            OnlySections = only,
            MeasureTime = measure,
            Rounds = rounds ?? (quick ? 2 : 5),
            WarmupTime = quick ? TimeSpan.FromSeconds(Math.Min(0.3, measure.TotalSeconds)) : TimeSpan.FromSeconds(Math.Min(1, measure.TotalSeconds)),
        };
    }
}
