using System.Diagnostics;
using System.Text.Json;

namespace Transport.Bench.Tour;

/// <summary>
/// Runs one section in a child process (<c>tour --only NAME --child-json</c>) and reads its tables back as JSON. The
/// sections that put our QUIC endpoints into network namespaces use it: an endpoint's threads are born in a namespace,
/// and so is any thread-pool worker they start, for life; in a child process that cannot leak into later sections,
/// whose sockets would otherwise open in the wrong namespace.
/// </summary>
internal static class SectionChild
{
    private sealed record RowDto(string Contender, Dictionary<string, double> Values, string? Unavailable, string? Error, string? Note);

    private sealed record TableDto(string Section, string Id, string Title, string Description, List<TourMetric> Metrics, List<RowDto> Rows);

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Serialize(IEnumerable<TourTable> tables)
    {
        var list = new List<TableDto>();
        foreach (TourTable t in tables)
        {
            var rows = new List<RowDto>();
            foreach (TourRow r in t.Rows) rows.Add(new RowDto(r.Contender, r.Values, r.Unavailable, r.Error, r.Note));
            list.Add(new TableDto(t.Section, t.Id, t.Title, t.Description, [.. t.Metrics], rows));
        }
        return JsonSerializer.Serialize(list, Json);
    }

    private static List<TourTable> Deserialize(string json)
    {
        var tables = new List<TourTable>();
        foreach (TableDto d in JsonSerializer.Deserialize<List<TableDto>>(json, Json) ?? [])
        {
            var table = new TourTable(d.Section, d.Id, d.Title, d.Description, d.Metrics);
            foreach (RowDto r in d.Rows)
            {
                TourRow row = table.Row(r.Contender);
                foreach ((string k, double v) in r.Values) row.Values[k] = v;
                row.Unavailable = r.Unavailable;
                row.Error = r.Error;
                row.Note = r.Note;
            }
            tables.Add(table);
        }
        return tables;
    }

    /// <summary>Runs <paramref name="section"/> in a child; on failure, one table whose single row says why.</summary>
    public static async Task<List<TourTable>> RunAsync(TourContext context, string section, TimeSpan limit)
    {
        TourOptions o = context.Options;
        string dll = typeof(SectionChild).Assembly.Location;
        string? self = Environment.ProcessPath;
        bool apphost = self is not null && Path.GetFileNameWithoutExtension(self) == Path.GetFileNameWithoutExtension(dll);
        string host = apphost ? self! : self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        if (!apphost) info.ArgumentList.Add(dll);
        foreach (string a in new[] { "tour", "--only", section, "--child-json", "--reference", o.Reference,
                     "--seconds", o.MeasureTime.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--rounds", o.Rounds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }
        if (o.Quick) info.ArgumentList.Add("--quick");
        context.Progress.Report($"{section}: running in a child process (network namespaces)");
        string failure;
        try
        {
            using Process process = Process.Start(info) ?? throw new InvalidOperationException("the child process did not start");
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(limit);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                string json = await output.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                int start = json.IndexOf("\n[", StringComparison.Ordinal);
                json = json.StartsWith('[') ? json : start >= 0 ? json[(start + 1)..] : json;
                return Deserialize(json);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                failure = $"the section's child process was killed after {limit.TotalSeconds:0} s (hung)";
            }
        }
        catch (Exception e)
        {
            failure = $"child process failed: {e.GetType().Name}: {e.Message}";
        }
        var table = new TourTable(section, section + "-failed", $"{section}: failed", "The section's child process gave no tables.",
            [new TourMetric("value", "", true, 0)]);
        table.Row("section").Error = failure;
        return [table];
    }
}
