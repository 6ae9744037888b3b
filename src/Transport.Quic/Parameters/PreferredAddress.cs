using System.Net;
using System.Net.Sockets;
using Transport.Core.Wire;

namespace Transport.Quic.Parameters;

/// <summary>
/// The server's preferred_address transport parameter (RFC 9000 §18.2, §9.6): an IPv4 and/or IPv6 address, a connection
/// ID (1 to 20 bytes) and its stateless reset token. An all-zero address and port on the wire means "none" and is
/// represented by null.
/// </summary>
public sealed record PreferredAddress
{
    private readonly byte[] _statelessResetToken = new byte[16];

    /// <summary>The IPv4 address and port, or null when the server offers none.</summary>
    public IPEndPoint? IPv4Endpoint { get; init; }

    /// <summary>The IPv6 address and port, or null when the server offers none.</summary>
    public IPEndPoint? IPv6Endpoint { get; init; }

    /// <summary>The connection ID to use on the preferred address (never zero-length, RFC 9000 §18.2).</summary>
    public ConnectionId ConnectionId { get; init; }

    /// <summary>The 16-byte stateless reset token for <see cref="ConnectionId"/>.</summary>
    /// <exception cref="ArgumentException">Not 16 bytes.</exception>
    public ReadOnlyMemory<byte> StatelessResetToken
    {
        get => _statelessResetToken;
        init
        {
            if (value.Length != 16) throw new ArgumentException($"A stateless reset token is 16 bytes; got {value.Length}.", nameof(value));
            _statelessResetToken = value.ToArray();
        }
    }

    /// <summary>Value equality including the token bytes.</summary>
    public bool Equals(PreferredAddress? other) =>
        other is not null && Equals(IPv4Endpoint, other.IPv4Endpoint) && Equals(IPv6Endpoint, other.IPv6Endpoint)
        && ConnectionId == other.ConnectionId && _statelessResetToken.AsSpan().SequenceEqual(other._statelessResetToken);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IPv4Endpoint, IPv6Endpoint, ConnectionId);

    internal const int FixedLength = 4 + 2 + 16 + 2 + 1 + 16;

    internal int EncodedLength => FixedLength + ConnectionId.Length;

    internal void Write(ref SpanWriter w)
    {
        Span<byte> v4 = stackalloc byte[4];
        Span<byte> v6 = stackalloc byte[16];
        v4.Clear();
        v6.Clear();
        IPv4Endpoint?.Address.TryWriteBytes(v4, out _);
        IPv6Endpoint?.Address.TryWriteBytes(v6, out _);
        w.WriteBytes(v4);
        w.WriteUInt16((ushort)(IPv4Endpoint?.Port ?? 0));
        w.WriteBytes(v6);
        w.WriteUInt16((ushort)(IPv6Endpoint?.Port ?? 0));
        w.WriteConnectionId(ConnectionId);
        w.WriteBytes(_statelessResetToken);
    }

    internal static PreferredAddress? TryRead(ReadOnlySpan<byte> value)
    {
        // RFC 9000 §18.2 Figure 22
        var r = new SpanReader(value);
        if (!r.TryReadBytes(4, out ReadOnlySpan<byte> v4) || !r.TryReadUInt16(out ushort port4)) return null;
        if (!r.TryReadBytes(16, out ReadOnlySpan<byte> v6) || !r.TryReadUInt16(out ushort port6)) return null;
        if (!r.TryReadConnectionId(out ConnectionId cid)) return null;
        if (!r.TryReadBytes(16, out ReadOnlySpan<byte> token) || !r.IsEmpty) return null;
        return new PreferredAddress
        {
            IPv4Endpoint = IsZero(v4) && port4 == 0 ? null : new IPEndPoint(new IPAddress(v4), port4),
            IPv6Endpoint = IsZero(v6) && port6 == 0 ? null : new IPEndPoint(new IPAddress(v6), port6),
            ConnectionId = cid,
            StatelessResetToken = token.ToArray(),
        };
    }

    internal string? Validate()
    {
        if (ConnectionId.Length == 0) return "preferred_address carries a zero-length connection ID (RFC 9000 §18.2).";
        if (IPv4Endpoint is { } e4 && e4.AddressFamily != AddressFamily.InterNetwork) return "preferred_address IPv4 endpoint is not IPv4.";
        if (IPv6Endpoint is { } e6 && e6.AddressFamily != AddressFamily.InterNetworkV6) return "preferred_address IPv6 endpoint is not IPv6.";
        return null;
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
