namespace Transport.Interop.Checks;

/// <summary>A check's verdict and, unless it succeeded, the reason in the runner's words.</summary>
public sealed record CheckResult(CheckOutcome Outcome, string Reason)
{
    /// <summary>Succeeded, with an optional note (e.g. a measured value).</summary>
    public static CheckResult Pass(string note = "") => new(CheckOutcome.Succeeded, note);

    /// <summary>Failed because of <paramref name="reason"/>.</summary>
    public static CheckResult Fail(string reason) => new(CheckOutcome.Failed, reason);

    /// <summary>Unsupported because of <paramref name="reason"/>.</summary>
    public static CheckResult Unsupported(string reason) => new(CheckOutcome.Unsupported, reason);

    /// <summary>True when succeeded.</summary>
    public bool Succeeded => Outcome == CheckOutcome.Succeeded;
}
