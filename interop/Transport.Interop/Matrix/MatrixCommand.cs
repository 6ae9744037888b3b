using System.Globalization;

namespace Transport.Interop.Matrix;

/// <summary>
/// <c>Transport.Interop matrix ...</c>: runs the interop matrix and writes results/interop/&lt;timestamp&gt;/matrix.md and
/// matrix.json (see Matrix/README.md).
/// </summary>
public static class MatrixCommand
{
    /// <summary>Entry point from Program.Main; returns the process exit code (0 ok, 1 regressions vs --expected, 2 bad arguments).</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        MatrixOptions options;
        try
        {
            options = MatrixOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(MatrixOptions.Usage);
            return 2;
        }
        if (options.ListOnly)
        {
            foreach (MatrixTestCase t in options.SelectedCases())
                Console.WriteLine($"{t.Name,-20} {t.Abbreviation,-4} server={t.ServerTestCase,-20} client={t.ClientTestCase,-12} files={t.SizesFor(options.Quick).Count}{(t.NotRunnableReason is null ? "" : "  (" + t.NotRunnableReason + ")")}");
            Console.WriteLine("columns: " + string.Join(", ", options.SelectedPairs().Select(p => p.Header)));
            return 0;
        }
        ExpectedCells? expected = null;
        if (options.ExpectedPath is not null)
        {
            try { expected = ExpectedCells.Load(options.ExpectedPath); }
            catch (Exception e) when (e is IOException or FormatException or System.Text.Json.JsonException or ArgumentException)
            {
                Console.Error.WriteLine($"--expected {options.ExpectedPath}: {e.Message}");
                return 2;
            }
        }

        // Absolute: endpoints run with their log folder as working directory, and every path handed to them must hold there.
        string output = Path.GetFullPath(options.OutputDirectory ?? Path.Combine("results", "interop",
            DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(output);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            var runner = new MatrixRunner(options, Console.Error, ProgressLine.ForConsole());
            MatrixResult result = runner.RunAsync(output, cts.Token).GetAwaiter().GetResult();
            return Report(result, expected, output, Console.Out);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Prints the table, writes matrix.md / matrix.json, compares with the expectations; returns the exit code.</summary>
    public static int Report(MatrixResult result, ExpectedCells? expected, string output, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(console);
        int exit = 0;
        if (expected is not null)
        {
            List<CellResult> regressions = expected.Regressions(result);
            foreach (CellResult r in regressions) result.Notes.Add($"REGRESSION: {r.Test} {r.Pair} is listed as passing in expected.json but {r.CellText(200)}");
            foreach (CellResult n in expected.NewPasses(result)) result.Notes.Add($"new pass (not in expected.json): {n.Test} {n.Pair}");
            if (regressions.Count > 0) exit = 1;
        }
        File.WriteAllText(Path.Combine(output, "matrix.md"), MatrixReport.ToMarkdown(result));
        File.WriteAllText(Path.Combine(output, "matrix.json"), MatrixReport.ToJson(result));
        console.Write(MatrixReport.ToConsole(result));
        foreach (string n in result.Notes) console.WriteLine("* " + n);
        console.WriteLine($"results: {Path.GetFullPath(output)}/matrix.md, matrix.json");
        return exit;
    }
}
