namespace Transport.Quic.Connection;

/// <summary>Where a connection is in its life (RFC 9000 §10).</summary>
internal enum ConnectionPhase
{
    /// <summary>Handshaking or established.</summary>
    Open,
    /// <summary>This endpoint sent CONNECTION_CLOSE; it answers incoming packets with it for 3 PTO (RFC 9000 §10.2.1).</summary>
    Closing,
    /// <summary>The peer closed (or reset); nothing is sent for 3 PTO (RFC 9000 §10.2.2).</summary>
    Draining,
    /// <summary>Gone: the endpoint may forget it.</summary>
    Terminated,
}
