namespace Transport.Interop.Checks;

/// <summary>Who sent a captured datagram (the runner decides by source IP; we by the server's address:port).</summary>
public enum TraceDirection
{
    /// <summary>Sent by the client (to the server's address:port).</summary>
    FromClient,
    /// <summary>Sent by the server (from its address:port).</summary>
    FromServer,
    /// <summary>Neither.</summary>
    Invalid,
}
