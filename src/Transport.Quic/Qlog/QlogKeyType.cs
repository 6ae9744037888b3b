namespace Transport.Quic.Qlog;

/// <summary>Which secret a <c>security:key_updated</c>/<c>key_retired</c> event is about: qlog's <c>KeyType</c> (quic-events -02).</summary>
public enum QlogKeyType
{
    /// <summary><c>"server_initial_secret"</c>.</summary>
    ServerInitialSecret,
    /// <summary><c>"client_initial_secret"</c>.</summary>
    ClientInitialSecret,
    /// <summary><c>"server_handshake_secret"</c>.</summary>
    ServerHandshakeSecret,
    /// <summary><c>"client_handshake_secret"</c>.</summary>
    ClientHandshakeSecret,
    /// <summary><c>"server_0rtt_secret"</c>.</summary>
    Server0RttSecret,
    /// <summary><c>"client_0rtt_secret"</c>.</summary>
    Client0RttSecret,
    /// <summary><c>"server_1rtt_secret"</c>.</summary>
    Server1RttSecret,
    /// <summary><c>"client_1rtt_secret"</c>.</summary>
    Client1RttSecret,
}
