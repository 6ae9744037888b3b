using System.Security.Cryptography;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Answers a long-header datagram of an unsupported version with a Version Negotiation packet (RFC 8999 §6,
/// RFC 9000 §6.1), from the version-independent header fields only (connection IDs up to 255 bytes).
/// </summary>
/// <remarks>
/// Rules: only long headers are answered; a Version Negotiation packet (version 0) never is (RFC 9000 §6.1); a datagram
/// under 1200 bytes is dropped (RFC 9000 §5.2.2: "Servers MUST drop smaller packets that specify unsupported versions";
/// §14.1); at most one packet per datagram. The answer echoes the connection IDs swapped (its Destination is the
/// client's Source and its Source the client's Destination), has a random first byte with the Header Form bit (and the
/// Fixed Bit, RFC 9000 §17.2.1) set, and lists the supported versions, optionally preceded by one random reserved
/// version 0x?a?a?a?a (RFC 9000 §6.3) to keep clients from ossifying on the list. The interop runner's start-up probe
/// (1207 bytes, version 0x57414954, empty connection IDs) is such a datagram: it gets a Version Negotiation whose
/// bytes 1..4 are zero. Rate limiting, if wanted, is the endpoint's (RFC 9000 §5.2.2 allows it). Stateless and
/// thread-safe; allocates nothing per call.
/// </remarks>
public sealed class VersionNegotiationResponder
{
    /// <summary>The smallest datagram that is answered (RFC 9000 §14.1: the smallest datagram carrying a client Initial).</summary>
    public const int MinimumDatagramLength = 1200;

    private readonly uint[] _versions;

    /// <summary>A responder for <paramref name="supportedVersions"/> (in order of preference).</summary>
    /// <param name="supportedVersions">The versions the endpoint speaks, e.g. 1 (and 0x6b3343cf for v2).</param>
    /// <param name="includeReservedVersion">Whether to list a random reserved version too (RFC 9000 §6.3).</param>
    /// <exception cref="ArgumentException">An empty list, or one containing 0 or a reserved version.</exception>
    public VersionNegotiationResponder(ReadOnlySpan<uint> supportedVersions, bool includeReservedVersion = true)
    {
        if (supportedVersions.IsEmpty) throw new ArgumentException("At least one version must be supported.", nameof(supportedVersions));
        foreach (uint v in supportedVersions)
            if (v == QuicVersion.Negotiation || QuicVersion.IsReservedForNegotiation(v))
                throw new ArgumentException($"0x{v:x8} cannot be a supported version.", nameof(supportedVersions));
        _versions = supportedVersions.ToArray();
        IncludeReservedVersion = includeReservedVersion;
    }

    /// <summary>The versions listed in answers (before any reserved version is added).</summary>
    public ReadOnlySpan<uint> SupportedVersions => _versions;

    /// <summary>Whether answers also list a random reserved version.</summary>
    public bool IncludeReservedVersion { get; }

    /// <summary>The largest packet an answer can take: 1 + 4 + 1 + 255 + 1 + 255 + 4 per version.</summary>
    public int MaximumPacketLength => VersionNegotiationPacket.GetLength(255, 255, _versions.Length + 1);

    /// <summary>True when <paramref name="version"/> is one of <see cref="SupportedVersions"/>.</summary>
    public bool IsSupported(uint version) => Array.IndexOf(_versions, version) >= 0;

    /// <summary>
    /// Decides about <paramref name="datagram"/> and, when it calls for Version Negotiation, writes the packet into
    /// <paramref name="destination"/>. Never throws for the datagram.
    /// </summary>
    public VersionNegotiationOutcome TryWrite(ReadOnlySpan<byte> datagram, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (datagram.IsEmpty) return VersionNegotiationOutcome.Malformed;
        if (!PacketHeaderBits.IsLongHeader(datagram[0])) return VersionNegotiationOutcome.NotLongHeader;
        // Only the long-header form matters here, so the short-header connection ID length is irrelevant.
        if (!InvariantHeader.TryParse(datagram, 0, out InvariantHeader header)) return VersionNegotiationOutcome.Malformed;
        if (header.IsVersionNegotiation) return VersionNegotiationOutcome.IsVersionNegotiation; // RFC 9000 §6.1
        if (IsSupported(header.Version)) return VersionNegotiationOutcome.Supported;
        if (datagram.Length < MinimumDatagramLength) return VersionNegotiationOutcome.TooSmall; // RFC 9000 §5.2.2

        int count = _versions.Length + (IncludeReservedVersion ? 1 : 0);
        Span<uint> versions = count <= 16 ? stackalloc uint[16] : new uint[count];
        versions = versions.Slice(0, count);
        int i = 0;
        if (IncludeReservedVersion)
        {
            // RFC 9000 §15: 0x?a?a?a?a, with the ? nibbles random.
            Span<byte> random = stackalloc byte[4];
            RandomNumberGenerator.Fill(random);
            versions[i++] = (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(random) & 0xf0f0f0f0) | 0x0a0a0a0a;
        }
        _versions.CopyTo(versions.Slice(i));

        if (destination.Length < VersionNegotiationPacket.GetLength(header.SourceConnectionId.Length, header.DestinationConnectionId.Length, count))
            return VersionNegotiationOutcome.BufferTooSmall;
        byte unused = (byte)RandomNumberGenerator.GetInt32(256);
        // RFC 9000 §6.1: Destination = the client's Source Connection ID, Source = the client's Destination.
        VersionNegotiationPacket.TryWrite(destination, header.SourceConnectionId, header.DestinationConnectionId, versions, unused, out bytesWritten);
        return VersionNegotiationOutcome.Send;
    }
}
