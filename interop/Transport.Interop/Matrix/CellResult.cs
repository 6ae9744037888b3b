namespace Transport.Interop.Matrix;

/// <summary>One cell of the matrix.</summary>
public sealed record CellResult
{
    /// <summary>Runner test name.</summary>
    public required string Test { get; init; }

    /// <summary>Pair key ("client-server").</summary>
    public required string Pair { get; init; }

    /// <summary>The verdict.</summary>
    public required CellOutcome Outcome { get; init; }

    /// <summary>Why it failed / was unsupported / not run; for a pass, an optional note (e.g. goodput).</summary>
    public string Reason { get; init; } = "";

    /// <summary>Wall time of the cell (all repetitions).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Where the cell's logs, pcaps and files are (null when deleted).</summary>
    public string? Artifacts { get; init; }

    /// <summary>Short text for a table cell: "pass", "fail: reason", "unsupported", ...</summary>
    public string CellText(int maxReason = 80)
    {
        string Cut(string s) => s.Length <= maxReason ? s : s[..maxReason] + "…";
        return Outcome switch
        {
            CellOutcome.Passed => Reason.Length > 0 ? "pass (" + Cut(Reason) + ")" : "pass",
            CellOutcome.Failed => "FAIL: " + Cut(Reason),
            CellOutcome.Unsupported => "unsupported" + (Reason.Length > 0 ? ": " + Cut(Reason) : ""),
            CellOutcome.Unavailable => "unavailable: " + Cut(Reason),
            CellOutcome.NotRun => Cut(Reason),
            _ => Outcome.ToString(),
        };
    }
}
