using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Relay;

/// <summary>
/// Writes UDP datagrams to a classic libpcap file (microsecond timestamps, LINKTYPE_RAW = 101: each record is an IPv4
/// or IPv6 packet) with synthesized IP and UDP headers (checksums computed), so tshark and Wireshark read it and can
/// decode QUIC with <c>-d udp.port==PORT,quic</c>. Thread-safe; records are written in call order.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    /// <summary>LINKTYPE_RAW: the packet begins with an IPv4 or IPv6 header.</summary>
    public const int LinkTypeRaw = 101;

    private const int SnapLength = 262144;
    private readonly Stream _stream;
    private readonly object _lock = new();
    private readonly byte[] _scratch = new byte[16 + 40 + 8 + 65536];
    private ushort _ipId;
    private long _lastMicros;
    private bool _disposed;

    /// <summary>Creates (or truncates) <paramref name="path"/> and writes the file header.</summary>
    public PcapWriter(string path) : this(new FileStream(path ?? throw new ArgumentNullException(nameof(path)), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
    {
    }

    /// <summary>Writes to <paramref name="stream"/> (owned: disposed with this writer), starting with the file header.</summary>
    public PcapWriter(Stream stream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);   // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeRaw);
        _stream.Write(header);
    }

    /// <summary>Records written so far.</summary>
    public long Records { get; private set; }

    /// <summary>
    /// Writes one UDP datagram from <paramref name="source"/> to <paramref name="destination"/> (same address family)
    /// at <paramref name="unixMicroseconds"/> (made non-decreasing), with the IPv4 TOS / IPv6 traffic class
    /// <paramref name="trafficClass"/> (its low two bits are the ECN codepoint).
    /// </summary>
    public void Write(long unixMicroseconds, IPEndPoint source, IPEndPoint destination, byte trafficClass, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.AddressFamily != destination.AddressFamily)
            throw new ArgumentException($"Source {source} and destination {destination} are of different address families.");
        if (payload.Length > 65535 - 48) throw new ArgumentException($"A UDP payload of {payload.Length} bytes does not fit an IP packet.", nameof(payload));
        lock (_lock)
        {
            if (_disposed) return;
            if (unixMicroseconds < _lastMicros) unixMicroseconds = _lastMicros;
            _lastMicros = unixMicroseconds;
            Span<byte> record = _scratch;
            int ipLength = source.AddressFamily == AddressFamily.InterNetwork ? 20 : 40;
            int packetLength = ipLength + 8 + payload.Length;
            Span<byte> ip = record.Slice(16, packetLength);
            Span<byte> udp = ip[ipLength..];
            payload.CopyTo(udp[8..]);
            BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)source.Port);
            BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destination.Port);
            BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
            BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);

            // Pseudo-header sum for the UDP checksum (RFC 768; RFC 8200 §8.1).
            uint sum = 17u + (uint)(8 + payload.Length);
            if (ipLength == 20)
            {
                ip[0] = 0x45;
                ip[1] = trafficClass;
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packetLength);
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], _ipId++);
                BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
                ip[8] = 64;
                ip[9] = 17;
                ip[10] = ip[11] = 0;
                source.Address.TryWriteBytes(ip[12..16], out _);
                destination.Address.TryWriteBytes(ip[16..20], out _);
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..20], 0));
                sum = AddWords(ip[12..20], sum);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(ip, 0x60000000u | ((uint)trafficClass << 20));
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(8 + payload.Length));
                ip[6] = 17;
                ip[7] = 64;
                source.Address.TryWriteBytes(ip[8..24], out _);
                destination.Address.TryWriteBytes(ip[24..40], out _);
                sum = AddWords(ip[8..40], sum);
            }
            ushort udpChecksum = Checksum(udp[..(8 + payload.Length)], sum);
            BinaryPrimitives.WriteUInt16BigEndian(udp[6..], udpChecksum == 0 ? (ushort)0xffff : udpChecksum);

            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(unixMicroseconds / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(unixMicroseconds % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packetLength);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)packetLength);
            _stream.Write(record[..(16 + packetLength)]);
            Records++;
        }
    }

    /// <summary>Pushes buffered records to the file.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (!_disposed) _stream.Flush();
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Dispose();
        }
    }

    private static uint AddWords(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)((data[i] << 8) | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        uint sum = AddWords(data, initial);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
