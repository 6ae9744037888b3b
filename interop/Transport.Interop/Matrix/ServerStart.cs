namespace Transport.Interop.Matrix;

/// <summary>The result of starting a server: running, unsupported (exit 127) or failed (with the reason).</summary>
public sealed record ServerStart(IMatrixServer? Server, CellOutcome? Outcome, string Reason)
{
    /// <summary>Started and answering Version Negotiation.</summary>
    public static ServerStart Running(IMatrixServer server) => new(server, null, "");

    /// <summary>The server exited 127.</summary>
    public static ServerStart Unsupported(string reason) => new(null, CellOutcome.Unsupported, reason);

    /// <summary>The server did not come up.</summary>
    public static ServerStart Failed(string reason) => new(null, CellOutcome.Failed, reason);
}
