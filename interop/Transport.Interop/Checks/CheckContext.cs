namespace Transport.Interop.Checks;

/// <summary>Everything a test case's check reads: both traces, the files, and what the test expected.</summary>
public sealed class CheckContext
{
    /// <summary>Client-side trace (trace_node_left).</summary>
    public required PacketTrace ClientTrace { get; init; }

    /// <summary>Server-side trace (trace_node_right).</summary>
    public required PacketTrace ServerTrace { get; init; }

    /// <summary>The chosen key log (<see cref="KeyLogChoice"/>), or null.</summary>
    public string? KeyLog { get; init; }

    /// <summary>The served files' directory (/www).</summary>
    public required string WebRoot { get; init; }

    /// <summary>The client's download directory (/downloads).</summary>
    public required string DownloadDirectory { get; init; }

    /// <summary>The file names the client was asked for.</summary>
    public required IReadOnlyList<string> Files { get; init; }
}
