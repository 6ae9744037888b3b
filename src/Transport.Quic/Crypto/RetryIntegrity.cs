using System.Buffers;
using System.Security.Cryptography;

namespace Transport.Quic.Crypto;

/// <summary>
/// The Retry Integrity Tag (RFC 9001 §5.8; RFC 9369 §3.3.3 for QUIC v2): AEAD_AES_128_GCM with a fixed key and nonce,
/// an empty plaintext, and the Retry pseudo-packet as associated data (ODCID Length, Original Destination Connection
/// ID, then the Retry packet without its tag). A server computes it; a client verifies it.
/// </summary>
public static class RetryIntegrity
{
    /// <summary>The length of the Retry Integrity Tag at the end of a Retry packet.</summary>
    public const int TagLength = 16;

    private const int MaxConnectionIdLength = 20;
    private const int StackLimit = 1600;

    // AesGcm instances are not safe for concurrent use; one per thread and version, keyed once.
    [ThreadStatic] private static AesGcm? t_v1;
    [ThreadStatic] private static AesGcm? t_v2;

    /// <summary>Computes the Retry Integrity Tag of a Retry packet.</summary>
    /// <param name="version">0x00000001 or 0x6b3343cf (selects key and nonce).</param>
    /// <param name="originalDestinationConnectionId">The Destination Connection ID of the client's Initial packet that this Retry answers.</param>
    /// <param name="retryPacketWithoutTag">The Retry packet from its first byte through the Retry Token.</param>
    /// <param name="tag">Receives the 16-byte tag.</param>
    /// <exception cref="ArgumentException">Unknown version, a connection ID longer than 20 bytes, or a tag buffer shorter than 16 bytes.</exception>
    public static void ComputeTag(uint version, ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retryPacketWithoutTag, Span<byte> tag)
    {
        var parameters = QuicVersionParameters.Get(version);
        if (originalDestinationConnectionId.Length > MaxConnectionIdLength)
            throw new ArgumentException($"A connection ID is at most {MaxConnectionIdLength} bytes; got {originalDestinationConnectionId.Length}.", nameof(originalDestinationConnectionId));
        if (tag.Length < TagLength)
            throw new ArgumentException($"The tag needs {TagLength} bytes.", nameof(tag));
        ComputeTagCore(parameters, originalDestinationConnectionId, retryPacketWithoutTag, tag.Slice(0, TagLength));
    }

    /// <summary>
    /// Checks the Retry Integrity Tag at the end of <paramref name="retryPacket"/> (RFC 9001 §5.8). Never throws for
    /// network input: a packet shorter than the tag, a tag mismatch, or an unsupported version all return false, and
    /// the client discards the Retry (RFC 9000 §17.2.5.2).
    /// </summary>
    /// <param name="version">The version of the Retry packet.</param>
    /// <param name="originalDestinationConnectionId">The Destination Connection ID the client put in its first Initial packet.</param>
    /// <param name="retryPacket">The whole Retry packet, tag included.</param>
    /// <exception cref="ArgumentException">A connection ID longer than 20 bytes (the client's own value).</exception>
    public static bool Verify(uint version, ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retryPacket)
    {
        if (originalDestinationConnectionId.Length > MaxConnectionIdLength)
            throw new ArgumentException($"A connection ID is at most {MaxConnectionIdLength} bytes; got {originalDestinationConnectionId.Length}.", nameof(originalDestinationConnectionId));
        if (!QuicVersionParameters.IsSupported(version) || retryPacket.Length < TagLength) return false;
        Span<byte> expected = stackalloc byte[TagLength];
        ComputeTagCore(QuicVersionParameters.Get(version), originalDestinationConnectionId, retryPacket.Slice(0, retryPacket.Length - TagLength), expected);
        return CryptographicOperations.FixedTimeEquals(expected, retryPacket.Slice(retryPacket.Length - TagLength));
    }

    private static void ComputeTagCore(QuicVersionParameters parameters, ReadOnlySpan<byte> odcid, ReadOnlySpan<byte> retry, Span<byte> tag)
    {
        // RFC 9001 §5.8, Figure 8: the Retry pseudo-packet.
        int length = 1 + odcid.Length + retry.Length;
        byte[]? rented = null;
        Span<byte> pseudo = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        pseudo = pseudo.Slice(0, length);
        pseudo[0] = (byte)odcid.Length;
        odcid.CopyTo(pseudo.Slice(1));
        retry.CopyTo(pseudo.Slice(1 + odcid.Length));
        try
        {
            Aead(parameters).Encrypt(parameters.RetryNonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, pseudo);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static AesGcm Aead(QuicVersionParameters parameters) =>
        parameters.Version == QuicVersionParameters.Version1
            ? t_v1 ??= new AesGcm(parameters.RetryKey, TagLength)
            : t_v2 ??= new AesGcm(parameters.RetryKey, TagLength);
}
