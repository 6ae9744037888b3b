using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Transport.Quic.Endpoint;

/// <summary>
/// A remote UDP address held inline (no allocation): the IP address in 16-byte IPv6 form (IPv4 as IPv4-mapped IPv6,
/// so a dual-mode socket's <c>::ffff:a.b.c.d</c> and a plain IPv4 address are the same key) and the port. IPv6 flow
/// information and scope ID are ignored. Value equality; hashing randomized per process.
/// </summary>
internal readonly struct RemoteAddressKey : IEquatable<RemoteAddressKey>
{
    public const int AddressLength = 16;

    private readonly Bytes16 _address;

    private RemoteAddressKey(ReadOnlySpan<byte> address16, ushort port)
    {
        _address = default;
        address16.CopyTo(_address);
        Port = port;
    }

    /// <summary>The port.</summary>
    public ushort Port { get; }

    /// <summary>The 16-byte (IPv4-mapped when IPv4) address.</summary>
    public ReadOnlySpan<byte> Address => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _address[0]), AddressLength);

    /// <summary>The key of an IP address and port.</summary>
    /// <exception cref="ArgumentException">An address that is neither IPv4 nor IPv6.</exception>
    public static RemoteAddressKey From(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[AddressLength];
        WriteAddress(address, bytes);
        return new RemoteAddressKey(bytes, (ushort)port);
    }

    /// <summary>The key of an IP end point.</summary>
    public static RemoteAddressKey From(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return From(endPoint.Address, endPoint.Port);
    }

    /// <summary>
    /// The key of a socket address as the UDP driver hands it out (sockaddr_in / sockaddr_in6: port at offset 2, IPv4
    /// address at 4, IPv6 address at 8 on every platform .NET supports).
    /// </summary>
    /// <exception cref="ArgumentException">A socket address that is neither IPv4 nor IPv6, or too short.</exception>
    public static RemoteAddressKey From(SocketAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ReadOnlySpan<byte> buffer = address.Buffer.Span.Slice(0, address.Size);
        Span<byte> bytes = stackalloc byte[AddressLength];
        bytes.Clear();
        switch (address.Family)
        {
            case AddressFamily.InterNetwork when buffer.Length >= 8:
                bytes[10] = 0xff;
                bytes[11] = 0xff;
                buffer.Slice(4, 4).CopyTo(bytes.Slice(12));
                break;
            case AddressFamily.InterNetworkV6 when buffer.Length >= 24:
                buffer.Slice(8, 16).CopyTo(bytes);
                break;
            default:
                throw new ArgumentException($"Not an IPv4 or IPv6 socket address: {address.Family}, {address.Size} bytes.", nameof(address));
        }
        return new RemoteAddressKey(bytes, BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(2)));
    }

    /// <summary>Writes <paramref name="address"/> in 16-byte form (IPv4 mapped into IPv6).</summary>
    /// <exception cref="ArgumentException">An address that is neither IPv4 nor IPv6.</exception>
    public static void WriteAddress(IPAddress address, Span<byte> destination16)
    {
        destination16 = destination16.Slice(0, AddressLength);
        destination16.Clear();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            destination16[10] = 0xff;
            destination16[11] = 0xff;
            address.TryWriteBytes(destination16.Slice(12), out _);
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            address.TryWriteBytes(destination16, out _);
        }
        else
        {
            throw new ArgumentException($"Not an IPv4 or IPv6 address: {address.AddressFamily}.", nameof(address));
        }
    }

    /// <inheritdoc />
    public bool Equals(RemoteAddressKey other) => Port == other.Port && Address.SequenceEqual(other.Address);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RemoteAddressKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode(); // randomized per process: a peer cannot choose colliding addresses
        hash.AddBytes(Address);
        hash.Add(Port);
        return hash.ToHashCode();
    }

    /// <summary>The address and port, for logs.</summary>
    public override string ToString() => $"[{new IPAddress(Address)}]:{Port}";

    [InlineArray(AddressLength)]
    private struct Bytes16
    {
        private byte _element0;
    }
}
