namespace Transport.Interop.Checks;

/// <summary>The runner's key log choice (interop.py): the client's if usable, else the server's, else none.</summary>
public static class KeyLogChoice
{
    /// <summary>
    /// Returns <paramref name="clientKeyLog"/> when it exists, is non-empty and has a line starting
    /// <c>SERVER_HANDSHAKE_TRAFFIC_SECRET</c>; else <paramref name="serverKeyLog"/> under the same rule; else null.
    /// </summary>
    public static string? Choose(string? clientKeyLog, string? serverKeyLog)
    {
        if (IsUsable(clientKeyLog)) return clientKeyLog;
        if (IsUsable(serverKeyLog)) return serverKeyLog;
        return null;
    }

    /// <summary>Whether <paramref name="path"/> is a usable key log.</summary>
    public static bool IsUsable(string? path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return false;
        foreach (string line in File.ReadLines(path))
            if (line.StartsWith("SERVER_HANDSHAKE_TRAFFIC_SECRET", StringComparison.Ordinal)) return true;
        return false;
    }
}
