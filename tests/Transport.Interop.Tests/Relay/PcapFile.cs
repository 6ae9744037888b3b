using System.Buffers.Binary;
using System.Net;

namespace Transport.Interop.Tests.Relay;

/// <summary>One record of a pcap written by the relay: the IP/UDP fields and the payload.</summary>
internal sealed record PcapRecord(long UnixMicroseconds, IPEndPoint Source, IPEndPoint Destination, byte TrafficClass, byte[] Payload);

/// <summary>A minimal reader of classic libpcap files with LINKTYPE_RAW (IPv4/IPv6 + UDP), checking header checksums.</summary>
internal static class PcapFile
{
    public static List<PcapRecord> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        Assert.True(file.Length >= 24, "pcap shorter than its global header");
        Assert.Equal(0xa1b2c3d4u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(4)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(6)));
        Assert.Equal(101u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20)));
        var records = new List<PcapRecord>();
        int offset = 24;
        while (offset < file.Length)
        {
            Assert.True(offset + 16 <= file.Length, "truncated record header");
            uint seconds = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset));
            uint micros = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 4));
            int included = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            int original = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 12));
            Assert.True(micros < 1_000_000);
            Assert.Equal(original, included);
            offset += 16;
            Assert.True(offset + included <= file.Length, "truncated record");
            ReadOnlySpan<byte> ip = file.AsSpan(offset, included);
            offset += included;

            int version = ip[0] >> 4;
            IPAddress src, dst;
            byte tc;
            int ipLength;
            uint pseudo;
            if (version == 4)
            {
                ipLength = (ip[0] & 0xf) * 4;
                Assert.Equal(20, ipLength);
                Assert.Equal(included, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
                Assert.Equal(17, ip[9]);
                Assert.Equal(0, Fold(Sum(ip[..20], 0)) ^ 0xffff); // header checksum verifies
                tc = ip[1];
                src = new IPAddress(ip[12..16]);
                dst = new IPAddress(ip[16..20]);
                pseudo = Sum(ip[12..20], 17u + (uint)(included - 20));
            }
            else
            {
                Assert.Equal(6, version);
                ipLength = 40;
                Assert.Equal(included - 40, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
                Assert.Equal(17, ip[6]);
                tc = (byte)(BinaryPrimitives.ReadUInt32BigEndian(ip) >> 20);
                src = new IPAddress(ip[8..24]);
                dst = new IPAddress(ip[24..40]);
                pseudo = Sum(ip[8..40], 17u + (uint)(included - 40));
            }
            ReadOnlySpan<byte> udp = ip[ipLength..];
            Assert.Equal(udp.Length, BinaryPrimitives.ReadUInt16BigEndian(udp[4..]));
            Assert.Equal(0xffff, Fold(Sum(udp, pseudo))); // UDP checksum verifies
            records.Add(new PcapRecord(seconds * 1_000_000L + micros,
                new IPEndPoint(src, BinaryPrimitives.ReadUInt16BigEndian(udp)),
                new IPEndPoint(dst, BinaryPrimitives.ReadUInt16BigEndian(udp[2..])), tc, udp[8..].ToArray()));
        }
        return records;
    }

    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)((data[i] << 8) | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }

    private static int Fold(uint sum)
    {
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (int)sum;
    }
}
