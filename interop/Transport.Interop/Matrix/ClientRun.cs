namespace Transport.Interop.Matrix;

/// <summary>How a client run ended.</summary>
public sealed record ClientRun(int? ExitCode, string? KeyLogPath, string Detail)
{
    /// <summary>True when the deadline passed and the client was killed.</summary>
    public bool TimedOut => ExitCode is null;
}
