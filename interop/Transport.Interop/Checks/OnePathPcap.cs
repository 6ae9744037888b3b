using System.Buffers.Binary;
using System.Net;

namespace Transport.Interop.Checks;

/// <summary>
/// The relay's pcaps (classic libpcap, LINKTYPE_RAW, IPv4 with a 20-byte header or IPv6, then UDP) read record by
/// record, and a copy in which every peer endpoint that is not the server's is replaced by the first one seen.
/// </summary>
/// <remarks>
/// Why: tshark 4.0 creates a QUIC connection's 1-RTT decryption context from the TLS session of the UDP conversation
/// (4-tuple) of the first short-header packet. When a NAT rebinding lands inside the handshake, the server-side trace's
/// first 1-RTT packet is on another 4-tuple than the TLS handshake, and tshark then decrypts no 1-RTT packet of that
/// trace at all ("Failed to create decryption context: Missing TLS handshake"), so every PATH_CHALLENGE is invisible
/// to the rebind checks. Dissecting the one-path copy decrypts them; the checks still read each datagram's real
/// addresses from the original (<see cref="Endpoints"/>, matched by frame number).
/// </remarks>
public static class OnePathPcap
{
    private const int GlobalHeaderLength = 24, RecordHeaderLength = 16;

    /// <summary>Each record's source and destination (index = frame number - 1); null for a record that is not IP/UDP.</summary>
    public static List<(IPEndPoint Source, IPEndPoint Destination)?> Endpoints(string pcapPath)
    {
        var list = new List<(IPEndPoint, IPEndPoint)?>();
        byte[] file = File.ReadAllBytes(pcapPath);
        int offset = GlobalHeaderLength;
        while (offset + RecordHeaderLength <= file.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            int start = offset + RecordHeaderLength;
            if (length < 0 || start + length > file.Length) break;
            list.Add(TryRead(file.AsSpan(start, length), out IPEndPoint? s, out IPEndPoint? d, out _, out _) ? (s!, d!) : null);
            offset = start + length;
        }
        return list;
    }

    /// <summary>
    /// Writes the one-path copy of <paramref name="pcapPath"/> to <paramref name="outputPath"/> when the trace has more
    /// than one non-server endpoint (returns true), else writes nothing (false).
    /// </summary>
    public static bool TryWrite(string pcapPath, Func<IPEndPoint, bool> isServer, string outputPath)
    {
        byte[] file = File.ReadAllBytes(pcapPath);
        IPEndPoint? canonical = null;
        bool rewritten = false;
        int offset = GlobalHeaderLength;
        while (offset + RecordHeaderLength <= file.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            int start = offset + RecordHeaderLength;
            if (length < 0 || start + length > file.Length) break;
            Span<byte> packet = file.AsSpan(start, length);
            offset = start + length;
            if (!TryRead(packet, out IPEndPoint? s, out IPEndPoint? d, out int ipHeader, out bool v6)) continue;
            bool fromServer = isServer(s!);
            if (!fromServer && !isServer(d!)) continue;
            IPEndPoint peer = fromServer ? d! : s!;
            canonical ??= peer;
            if (peer.Equals(canonical)) continue;
            byte[] address = canonical.Address.GetAddressBytes();
            if (address.Length != (v6 ? 16 : 4)) continue;
            int addressOffset = v6 ? (fromServer ? 24 : 8) : (fromServer ? 16 : 12);
            address.CopyTo(packet.Slice(addressOffset));
            BinaryPrimitives.WriteUInt16BigEndian(packet.Slice(ipHeader + (fromServer ? 2 : 0)), (ushort)canonical.Port);
            if (!v6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet.Slice(10), 0);
                BinaryPrimitives.WriteUInt16BigEndian(packet.Slice(10), Fold(Sum(packet.Slice(0, ipHeader), 0)));
            }
            // UDP checksum over the pseudo-header (RFC 768; RFC 8200 §8.1 for IPv6) with the new addresses.
            Span<byte> udp = packet.Slice(ipHeader);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), 0);
            uint pseudo = v6 ? Sum(packet.Slice(8, 32), 17u + (uint)udp.Length) : Sum(packet.Slice(12, 8), 17u + (uint)udp.Length);
            ushort check = Fold(Sum(udp, pseudo));
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), check == 0 ? (ushort)0xFFFF : check);
            rewritten = true;
        }
        if (!rewritten) return false;
        File.WriteAllBytes(outputPath, file);
        return true;
    }

    private static bool TryRead(ReadOnlySpan<byte> packet, out IPEndPoint? source, out IPEndPoint? destination, out int ipHeader, out bool v6)
    {
        source = destination = null;
        ipHeader = 0;
        v6 = false;
        if (packet.Length < 1) return false;
        int version = packet[0] >> 4;
        if (version == 4)
        {
            ipHeader = (packet[0] & 0x0F) * 4;
            if (ipHeader < 20 || packet.Length < ipHeader + 8 || packet[9] != 17) return false;
            source = new IPEndPoint(new IPAddress(packet.Slice(12, 4)), BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(ipHeader)));
            destination = new IPEndPoint(new IPAddress(packet.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(ipHeader + 2)));
            return true;
        }
        if (version == 6)
        {
            v6 = true;
            ipHeader = 40;
            if (packet.Length < 48 || packet[6] != 17) return false;
            source = new IPEndPoint(new IPAddress(packet.Slice(8, 16)), BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(40)));
            destination = new IPEndPoint(new IPAddress(packet.Slice(24, 16)), BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(42)));
            return true;
        }
        return false;
    }

    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i));
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    private static ushort Fold(uint sum)
    {
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
