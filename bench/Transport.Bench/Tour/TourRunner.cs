using System.Text;

namespace Transport.Bench.Tour;

/// <summary>
/// The <c>tour</c> command: runs the sections, prints Markdown on stdout (progress on stderr), and writes
/// tables.md, one SVG chart per table and results.json to the results folder.
/// </summary>
internal static class TourRunner
{
    public static int Run(string[] args)
    {
        TourOptions? options = TourOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine($"tour: {error}");
            Console.Error.WriteLine(TourOptions.Usage);
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(TourOptions.Usage);
            return 0;
        }
        if (options.ScaleServer) return ScaleSection.RunServerChildAsync().GetAwaiter().GetResult();
        return RunAsync(options).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(TourOptions options)
    {
        IReadOnlyList<ITransportContender> contenders = ContenderRegistry.CreateAll();
        bool referenceKnown = false;
        foreach (ITransportContender c in contenders) referenceKnown |= c.Name == options.Reference && c.Availability.IsAvailable;
        if (!referenceKnown)
        {
            Console.Error.WriteLine($"tour: --reference '{options.Reference}' is not an available contender; available: " +
                string.Join(", ", contenders.Where(c => c.Availability.IsAvailable).Select(c => $"\"{c.Name}\"")));
            return 2;
        }

        if (options.Check)
        {
            Console.WriteLine("# Transport tour: contender check\n");
            bool passed = await ContenderCheck.RunAsync(contenders, new ProgressLine()).ConfigureAwait(false);
            foreach (IDisposable disposable in contenders.OfType<IDisposable>()) disposable.Dispose();
            return passed ? 0 : 1;
        }

        if (options.ChildJson)
        {
            var childContext = new TourContext(options, contenders, new ProgressLine());
            var childTables = new List<TourTable>();
            foreach (string section in options.OnlySections) childTables.AddRange(await RunSectionAsync(section, childContext).ConfigureAwait(false));
            foreach (IDisposable disposable in contenders.OfType<IDisposable>()) disposable.Dispose();
            Console.Out.Write("\n" + SectionChild.Serialize(childTables));
            return 0;
        }

        MachineInfo machine = MachineInfo.Current();
        string directory = options.ResultsDirectory ?? Path.Combine(RepositoryRoot(), "results", "tour", machine.Date.ToString("yyyyMMdd-HHmmss"));
        Directory.CreateDirectory(directory);

        var markdown = new StringBuilder();
        markdown.Append("# Transport comparison tour").Append(options.Quick ? " (quick)" : "").Append("\n\n");
        markdown.Append($"{machine.Date:yyyy-MM-dd HH:mm} UTC · {machine.Cores} cores · {machine.Os} · {machine.Architecture} · {machine.DotNet}");
        if (machine.LoadAverage is not null) markdown.Append($" · load average {machine.LoadAverage}");
        markdown.Append("\n\n");
        markdown.Append($"Every contender runs in this one process, on this machine, in this run; compare the ratios to {options.Reference}, not absolute figures across runs.\n\n");
        foreach (ITransportContender c in contenders)
        {
            markdown.Append("- ").Append(c.Name).Append(": ").Append(c.Availability.IsAvailable ? "available" : c.Availability.Reason).Append('\n');
        }
        markdown.Append('\n');
        Console.Write(markdown.ToString());

        var progress = new ProgressLine();
        var context = new TourContext(options, contenders, progress);
        var tables = new List<TourTable>();
        foreach (string section in TourOptions.Sections)
        {
            if (!options.OnlySections.Contains(section)) continue;
            List<TourTable> produced = await RunSectionAsync(section, context).ConfigureAwait(false);
            progress.Done($"{section}: done");
            string heading = $"## {char.ToUpperInvariant(section[0])}{section[1..]}\n\n";
            Console.Write(heading);
            markdown.Append(heading);
            foreach (TourTable table in produced)
            {
                string text = MarkdownTableWriter.Render(table, options.Reference) + "\n";
                Console.Write(text);
                markdown.Append(text);
                await File.WriteAllTextAsync(Path.Combine(directory, table.Id + ".svg"), SvgBarChart.Render(table, options.Reference)).ConfigureAwait(false);
                foreach ((string file, string svg) in table.ExtraCharts) await File.WriteAllTextAsync(Path.Combine(directory, file), svg).ConfigureAwait(false);
            }
            tables.AddRange(produced);
        }

        foreach (IDisposable disposable in contenders.OfType<IDisposable>()) disposable.Dispose();
        List<TargetResult> targets = TourTargets.Evaluate(tables, options.OnlySections);
        string targetText = TourTargets.RenderMarkdown(targets) + "\n";
        Console.Write(targetText);
        markdown.Append(targetText);
        await File.WriteAllTextAsync(Path.Combine(directory, "tables.md"), markdown.ToString()).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "results.json"), ResultsJsonWriter.Render(machine, options, contenders, tables, targets)).ConfigureAwait(false);
        Console.Error.WriteLine($"tour: results written to {Path.GetFullPath(directory)}");

        bool anyFailed = tables.Exists(t => t.Rows.Exists(r => r.Error is not null));
        return anyFailed ? 1 : 0;
    }

    private static async Task<List<TourTable>> RunSectionAsync(string section, TourContext context) => section switch
    {
        LoopbackSection.Name => await LoopbackSection.RunAsync(context).ConfigureAwait(false),
        SetupSection.Name => await SetupSection.RunAsync(context).ConfigureAwait(false),
        CongestionSection.Name => await CongestionSection.RunAsync(context).ConfigureAwait(false),
        HolSection.Name => await HolSection.RunAsync(context).ConfigureAwait(false),
        ScaleSection.Name => await ScaleSection.RunAsync(context).ConfigureAwait(false),
        _ => throw new InvalidOperationException($"section {section} has no runner"),
    };

    /// <summary>The directory holding Transport.sln above the working directory, or the working directory itself.</summary>
    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Transport.sln"))) return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
