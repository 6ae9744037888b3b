namespace Transport.Interop.Endpoint;

/// <summary>How the client spreads its requests over connections for a test case.</summary>
public enum ClientShape
{
    /// <summary>All URLs in parallel on one connection.</summary>
    OneConnection,

    /// <summary>The first URL on one connection, then (after a session ticket arrived) the rest on a resumed one.</summary>
    FirstThenRest,

    /// <summary>One new connection per URL, one after the other (multiconnect).</summary>
    OnePerUrl,
}
