namespace Transport.Quic.Tls;

/// <summary>
/// What the TLS handshake hands to the QUIC connection (RFC 9001 §4.1). Calls happen synchronously from inside
/// <see cref="TlsClientHandshake.Start"/> and <see cref="TlsHandshake.ProcessCryptoData"/>, in the order the
/// connection must act on them: a write secret for a level always arrives before the first CRYPTO bytes to send at
/// that level, and a read secret as soon as the peer may use it.
/// </summary>
/// <remarks>
/// Span arguments are valid only during the call; copy what you keep. Secrets are the TLS traffic secrets
/// (client_/server_handshake_traffic_secret, client_/server_application_traffic_secret_0, client_early_traffic_secret);
/// packet protection derives "quic key"/"quic iv"/"quic hp" from them with the negotiated suite's hash.
/// </remarks>
internal interface ITlsHandshakeListener
{
    /// <summary>Handshake bytes to send in CRYPTO frames at <paramref name="level"/> (Initial, Handshake, or OneRtt for NewSessionTicket).</summary>
    void OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data);

    /// <summary>The secret that protects packets the peer sends at <paramref name="level"/> (ZeroRtt on the server, Handshake, OneRtt).</summary>
    void OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret);

    /// <summary>The secret that protects packets this endpoint sends at <paramref name="level"/> (ZeroRtt on the client, Handshake, OneRtt).</summary>
    void OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret);

    /// <summary>
    /// The peer's quic_transport_parameters extension body (RFC 9001 §8.2), raw: the server gets it with the
    /// ClientHello, the client with EncryptedExtensions. Decoding and validating it is the connection's job.
    /// </summary>
    void OnPeerTransportParameters(ReadOnlySpan<byte> parameters);

    /// <summary>
    /// The TLS handshake is complete (RFC 9001 §4.1.1): the client has sent its Finished, the server has verified the
    /// client's Finished. The server then sends HANDSHAKE_DONE; both may discard Handshake keys per RFC 9001 §4.9.2.
    /// </summary>
    void OnHandshakeComplete();

    /// <summary>(Client only.) A NewSessionTicket arrived; store it to resume (and send 0-RTT) on a later connection.</summary>
    void OnSessionTicket(TlsSessionTicket ticket);
}
