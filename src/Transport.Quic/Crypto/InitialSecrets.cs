using System.Security.Cryptography;

namespace Transport.Quic.Crypto;

/// <summary>
/// Initial secrets and keys (RFC 9001 §5.2): derived from the Destination Connection ID of the client's first Initial
/// packet with a version-specific salt, so any on-path observer can compute them. Initial packets always use
/// AEAD_AES_128_GCM with SHA-256.
/// </summary>
public static class InitialSecrets
{
    /// <summary>QUIC version 1 (RFC 9000).</summary>
    public const uint Version1 = QuicVersionParameters.Version1;

    /// <summary>QUIC version 2 (RFC 9369).</summary>
    public const uint Version2 = QuicVersionParameters.Version2;

    /// <summary>The cipher suite of Initial packets (RFC 9001 §5.2).</summary>
    public const CipherSuite InitialCipherSuite = CipherSuite.Aes128GcmSha256;

    /// <summary>The length of the client and server Initial secrets (SHA-256).</summary>
    public const int SecretLength = 32;

    /// <summary>Whether this library can protect packets of QUIC version <paramref name="version"/>.</summary>
    public static bool IsSupportedVersion(uint version) => QuicVersionParameters.IsSupported(version);

    /// <summary>
    /// initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id);
    /// client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32);
    /// server_initial_secret = HKDF-Expand-Label(initial_secret, "server in", "", 32) (RFC 9001 §5.2).
    /// </summary>
    /// <param name="version">0x00000001 or 0x6b3343cf (selects the salt).</param>
    /// <param name="clientDestinationConnectionId">The Destination Connection ID of the client's first Initial packet.</param>
    /// <param name="clientInitialSecret">Receives 32 bytes.</param>
    /// <param name="serverInitialSecret">Receives 32 bytes.</param>
    /// <exception cref="ArgumentException">Unknown version, or an output shorter than 32 bytes.</exception>
    public static void Derive(uint version, ReadOnlySpan<byte> clientDestinationConnectionId, Span<byte> clientInitialSecret, Span<byte> serverInitialSecret)
    {
        var parameters = QuicVersionParameters.Get(version);
        if (clientInitialSecret.Length < SecretLength) throw new ArgumentException($"The client secret needs {SecretLength} bytes.", nameof(clientInitialSecret));
        if (serverInitialSecret.Length < SecretLength) throw new ArgumentException($"The server secret needs {SecretLength} bytes.", nameof(serverInitialSecret));
        Span<byte> initialSecret = stackalloc byte[SecretLength];
        DeriveInitialSecret(parameters, clientDestinationConnectionId, initialSecret);
        // The "client in"/"server in" labels are the same in QUIC v2 (RFC 9369 §3.3.2 changes only key, iv, hp, ku).
        HkdfLabel.Expand(HashAlgorithmName.SHA256, initialSecret, "client in"u8, default, clientInitialSecret.Slice(0, SecretLength));
        HkdfLabel.Expand(HashAlgorithmName.SHA256, initialSecret, "server in"u8, default, serverInitialSecret.Slice(0, SecretLength));
        CryptographicOperations.ZeroMemory(initialSecret);
    }

    /// <summary>
    /// Creates the Initial packet protection of one endpoint: <paramref name="send"/> seals what it sends and
    /// <paramref name="receive"/> opens what it receives (a client sends with the client secret, a server with the
    /// server secret).
    /// </summary>
    /// <param name="version">0x00000001 or 0x6b3343cf.</param>
    /// <param name="clientDestinationConnectionId">The Destination Connection ID of the client's first Initial packet.</param>
    /// <param name="isServer">True for the server's keys.</param>
    /// <param name="send">Protection for packets this endpoint sends.</param>
    /// <param name="receive">Protection for packets this endpoint receives.</param>
    public static void CreateProtection(uint version, ReadOnlySpan<byte> clientDestinationConnectionId, bool isServer,
        out PacketProtection send, out PacketProtection receive)
    {
        Span<byte> client = stackalloc byte[SecretLength];
        Span<byte> server = stackalloc byte[SecretLength];
        Derive(version, clientDestinationConnectionId, client, server);
        send = PacketProtection.Create(InitialCipherSuite, isServer ? server : client, version);
        receive = PacketProtection.Create(InitialCipherSuite, isServer ? client : server, version);
        CryptographicOperations.ZeroMemory(client);
        CryptographicOperations.ZeroMemory(server);
    }

    internal static void DeriveInitialSecret(QuicVersionParameters parameters, ReadOnlySpan<byte> clientDestinationConnectionId, Span<byte> initialSecret) =>
        HKDF.Extract(HashAlgorithmName.SHA256, clientDestinationConnectionId, parameters.InitialSalt, initialSecret);
}
