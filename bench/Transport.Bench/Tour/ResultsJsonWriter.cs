using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Transport.Bench.Tour;

/// <summary>
/// results.json: the machine, the options, every contender with its availability, and every figure as
/// {table, name, unit, contender, value, ratioToReference}; unavailable or failed contenders appear per table with
/// their reason instead of figures; and the target summary (<see cref="TourTargets"/>).
/// </summary>
internal static class ResultsJsonWriter
{
    public static string Render(MachineInfo machine, TourOptions options, IReadOnlyList<ITransportContender> contenders, IReadOnlyList<TourTable> tables,
        IReadOnlyList<TargetResult>? targets = null)
    {
        var contenderArray = new JsonArray();
        foreach (ITransportContender c in contenders)
        {
            contenderArray.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["available"] = c.Availability.IsAvailable,
                ["reason"] = c.Availability.Reason,
            });
        }
        (JsonArray tableArray, JsonArray figures) = TablesAndFigures(tables, options.Reference);
        var root = new JsonObject
        {
            ["tool"] = "Transport.Bench tour",
            ["machine"] = new JsonObject
            {
                ["cores"] = machine.Cores,
                ["os"] = machine.Os,
                ["architecture"] = machine.Architecture,
                ["dotnet"] = machine.DotNet,
                ["date"] = machine.Date.ToString("O"),
                ["loadAverage"] = machine.LoadAverage,
            },
            ["options"] = new JsonObject
            {
                ["quick"] = options.Quick,
                ["measureSeconds"] = options.MeasureTime.TotalSeconds,
                ["warmupSeconds"] = options.WarmupTime.TotalSeconds,
                ["rounds"] = options.Rounds,
                ["sections"] = new JsonArray([.. options.OnlySections.Select(s => (JsonNode?)JsonValue.Create(s))]),
            },
            ["reference"] = options.Reference,
            ["contenders"] = contenderArray,
            ["tables"] = tableArray,
            ["figures"] = figures,
            ["targets"] = Targets(targets ?? TourTargets.Evaluate(tables, options.OnlySections)),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>The "targets" array: one object per target of <see cref="TourTargets"/>.</summary>
    internal static JsonArray Targets(IReadOnlyList<TargetResult> targets)
    {
        var array = new JsonArray();
        foreach (TargetResult t in targets)
        {
            array.Add(new JsonObject
            {
                ["target"] = t.Target,
                ["measured"] = t.Measured,
                ["measuredText"] = t.MeasuredText,
                ["reference"] = t.Reference,
                ["referenceText"] = t.ReferenceText,
                ["ratio"] = t.Ratio,
                ["status"] = t.Status switch
                {
                    TargetStatus.Met => "met",
                    TargetStatus.Missed => "missed",
                    TargetStatus.NotMeasurable => "not measurable",
                    _ => "not measured",
                },
                ["verdict"] = t.Verdict,
            });
        }
        return array;
    }

    /// <summary>
    /// The "tables" and "figures" arrays of results.json for <paramref name="tables"/>, with ratios to
    /// <paramref name="reference"/> (shared with the remote client's results.json).
    /// </summary>
    internal static (JsonArray Tables, JsonArray Figures) TablesAndFigures(IReadOnlyList<TourTable> tables, string reference)
    {
        var tableArray = new JsonArray();
        var figures = new JsonArray();
        foreach (TourTable table in tables)
        {
            var missing = new JsonArray();
            foreach (TourRow row in table.Rows)
            {
                if (row.Unavailable is not null || row.Error is not null)
                {
                    missing.Add(new JsonObject { ["contender"] = row.Contender, ["unavailable"] = row.Unavailable, ["error"] = row.Error });
                }
                foreach (TourMetric metric in table.Metrics)
                {
                    if (!row.Values.TryGetValue(metric.Name, out double value) || !double.IsFinite(value)) continue;
                    double? ratio = table.Ratio(row, metric, reference);
                    figures.Add(new JsonObject
                    {
                        ["section"] = table.Section,
                        ["table"] = table.Id,
                        ["name"] = metric.Name,
                        ["unit"] = metric.Unit,
                        ["higherIsBetter"] = metric.HigherIsBetter,
                        ["contender"] = row.Contender,
                        ["value"] = value,
                        ["ratioToReference"] = ratio,
                    });
                }
            }
            tableArray.Add(new JsonObject
            {
                ["section"] = table.Section,
                ["id"] = table.Id,
                ["title"] = table.Title,
                ["description"] = table.Description,
                ["chart"] = table.Id + ".svg",
                ["extraCharts"] = new JsonArray([.. table.ExtraCharts.Select(c => (JsonNode?)JsonValue.Create(c.FileName))]),
                ["notRun"] = missing,
            });
        }
        return (tableArray, figures);
    }
}
