package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Streams, as Redis 7.0 writes them (RDB_TYPE_STREAM_LISTPACKS_2):
//
//	len nodes, then per node: the master ID (16 bytes, big endian ms and
//	  seq) as a string, and the node's listpack as a string
//	len length, len last ID ms, len last ID seq,
//	len first ID ms, len first ID seq, len max deleted ID ms, len seq,
//	len entries added
//	len groups, then per group (by name): string name, len last ID ms,
//	  len seq, len entries read; the PEL: len count, then per entry the
//	  raw 16-byte ID, the delivery time (8 bytes LE ms), len delivery
//	  count; the consumers: len count, then per consumer (by name) string
//	  name, seen time (8 bytes LE ms), len PEL count, raw 16-byte IDs
//
// A node's listpack is the master entry — live count, deleted count,
// field count, the fields, 0 — then each entry: flags (1 deleted, 2 same
// fields), ms and seq relative to the master ID, the values (same fields)
// or the field count and field/value pairs, and the number of listpack
// elements the entry took (for backward iteration).
func init() {
	Register(Codec{
		Type:   "stream",
		Types:  []byte{TypeStreamListpacks, TypeStreamListpack2, TypeStreamListpack3},
		Encode: encodeStream,
		Decode: decodeStream,
	})
}

const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

func streamIDBytes(id keyspace.StreamID) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func encodeStream(e *Encoder, v keyspace.Value) error {
	s := v.(*keyspace.Stream)
	e.WriteType(TypeStreamListpack2)
	e.WriteLen(uint64(s.Nodes()))
	s.EachNode(func(n keyspace.StreamNode) bool {
		e.WriteString(streamIDBytes(n.Master))
		e.WriteString(nodeListpack(n))
		return e.err == nil
	})
	e.WriteLen(uint64(s.Len()))
	for _, x := range []uint64{s.LastID.Ms, s.LastID.Seq, s.FirstID.Ms, s.FirstID.Seq,
		s.MaxDeletedID.Ms, s.MaxDeletedID.Seq, uint64(s.EntriesAdded)} {
		e.WriteLen(x)
	}
	names := s.Groups()
	e.WriteLen(uint64(len(names)))
	for _, name := range names {
		g := s.Group(name)
		e.WriteString([]byte(name))
		e.WriteLen(g.LastID.Ms)
		e.WriteLen(g.LastID.Seq)
		e.WriteLen(uint64(g.EntriesRead))
		e.WriteLen(uint64(g.PEL.Len()))
		g.PEL.Ascend(keyspace.StreamID{}, func(id keyspace.StreamID, n *keyspace.StreamNACK) bool {
			e.write(streamIDBytes(id))
			e.write(binary.LittleEndian.AppendUint64(nil, uint64(n.DeliveryTime)))
			e.WriteLen(uint64(n.DeliveryCount))
			return true
		})
		cons := g.Consumers()
		e.WriteLen(uint64(len(cons)))
		for _, cn := range cons {
			c := g.Consumer(cn)
			e.WriteString([]byte(cn))
			e.write(binary.LittleEndian.AppendUint64(nil, uint64(c.SeenTime)))
			e.WriteLen(uint64(c.PEL.Len()))
			c.PEL.Ascend(keyspace.StreamID{}, func(id keyspace.StreamID, _ *keyspace.StreamNACK) bool {
				e.write(streamIDBytes(id))
				return true
			})
		}
	}
	return e.err
}

// nodeListpack builds a node's listpack as streamAppendItem does.
func nodeListpack(n keyspace.StreamNode) []byte {
	lp := newListpack()
	live, deleted := 0, 0
	for _, en := range n.Entries {
		if en.Deleted {
			deleted++
		} else {
			live++
		}
	}
	lp.appendInt(int64(live))
	lp.appendInt(int64(deleted))
	lp.appendInt(int64(len(n.Fields)))
	for _, f := range n.Fields {
		lp.appendString(f)
	}
	lp.appendInt(0)
	for _, en := range n.Entries {
		flags := int64(0)
		if en.Deleted {
			flags |= streamFlagDeleted
		}
		if en.Same {
			flags |= streamFlagSameFields
		}
		lp.appendInt(flags)
		lp.appendInt(int64(en.ID.Ms - n.Master.Ms))
		lp.appendInt(int64(en.ID.Seq - n.Master.Seq))
		nf := len(en.Fields) / 2
		if en.Same {
			for i := 1; i < len(en.Fields); i += 2 {
				lp.appendString(en.Fields[i])
			}
			lp.appendInt(int64(nf + 3))
		} else {
			lp.appendInt(int64(nf))
			for _, f := range en.Fields {
				lp.appendString(f)
			}
			lp.appendInt(int64(2*nf + 4))
		}
	}
	return lp.bytes()
}

func (d *Decoder) readStreamID() (keyspace.StreamID, error) {
	b, err := d.readFull(16)
	if err != nil {
		return keyspace.StreamID{}, err
	}
	return keyspace.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

func (d *Decoder) readMillis() (int64, error) {
	b, err := d.readFull(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

func decodeStream(d *Decoder, typ byte) (keyspace.Value, error) {
	s := keyspace.NewStream()
	nodes, err := d.ReadLen()
	if err != nil {
		return nil, err
	}
	for range nodes {
		key, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, bad("stream node key of %d bytes", len(key))
		}
		master := keyspace.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		lpb, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		n, err := parseStreamNode(master, lpb)
		if err != nil {
			return nil, err
		}
		if len(n.Entries) == 0 {
			return nil, bad("empty stream node")
		}
		s.LoadNode(n)
	}
	var f [7]uint64
	count := 3
	if typ >= TypeStreamListpack2 {
		count = 7
	}
	length, err := d.ReadLen()
	if err != nil {
		return nil, err
	}
	for i := range count {
		if f[i], err = d.ReadLen(); err != nil {
			return nil, err
		}
	}
	if int64(length) != s.Len() {
		return nil, bad("stream length %d, nodes hold %d", length, s.Len())
	}
	s.LastID = keyspace.StreamID{Ms: f[0], Seq: f[1]}
	if count == 7 {
		s.FirstID = keyspace.StreamID{Ms: f[2], Seq: f[3]}
		s.MaxDeletedID = keyspace.StreamID{Ms: f[4], Seq: f[5]}
		s.EntriesAdded = int64(f[6])
	} else {
		// Before 7.0 these were not kept: derive them as Redis does.
		s.RefreshFirstID()
		s.EntriesAdded = s.Len()
	}
	groups, err := d.ReadLen()
	if err != nil {
		return nil, err
	}
	for range groups {
		name, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		var ms, seq, read uint64
		if ms, err = d.ReadLen(); err == nil {
			seq, err = d.ReadLen()
		}
		if err == nil && typ >= TypeStreamListpack2 {
			read, err = d.ReadLen()
		}
		if err != nil {
			return nil, err
		}
		g := s.LoadGroup(string(name), keyspace.StreamID{Ms: ms, Seq: seq}, int64(read))
		if typ < TypeStreamListpack2 {
			g.EntriesRead = -1
		}
		pel, err := d.ReadLen()
		if err != nil {
			return nil, err
		}
		for range pel {
			id, err := d.readStreamID()
			if err != nil {
				return nil, err
			}
			t, err := d.readMillis()
			if err != nil {
				return nil, err
			}
			cnt, err := d.ReadLen()
			if err != nil {
				return nil, err
			}
			g.PEL.Set(id, &keyspace.StreamNACK{DeliveryTime: t, DeliveryCount: int64(cnt)})
		}
		ncons, err := d.ReadLen()
		if err != nil {
			return nil, err
		}
		for range ncons {
			cname, err := d.ReadString()
			if err != nil {
				return nil, err
			}
			seen, err := d.readMillis()
			if err != nil {
				return nil, err
			}
			if typ == TypeStreamListpack3 {
				// 7.2 adds the active time; Mnemo keeps Redis 7.0's one.
				if _, err := d.readMillis(); err != nil {
					return nil, err
				}
			}
			c := g.LoadConsumer(string(cname), seen)
			np, err := d.ReadLen()
			if err != nil {
				return nil, err
			}
			for range np {
				id, err := d.readStreamID()
				if err != nil {
					return nil, err
				}
				nack, ok := g.PEL.Get(id)
				if !ok || nack.Consumer != nil {
					return nil, bad("consumer PEL entry %s not in its group's PEL", id)
				}
				nack.Consumer = c
				c.PEL.Set(id, nack)
			}
		}
		var orphan bool
		g.PEL.Ascend(keyspace.StreamID{}, func(_ keyspace.StreamID, n *keyspace.StreamNACK) bool {
			orphan = n.Consumer == nil
			return !orphan
		})
		if orphan {
			return nil, bad("group PEL entry without a consumer")
		}
	}
	return s, nil
}

// parseStreamNode reads a node's listpack.
func parseStreamNode(master keyspace.StreamID, lpb []byte) (keyspace.StreamNode, error) {
	var els []string
	if !lpEach(lpb, func(s string) bool { els = append(els, s); return true }) {
		return keyspace.StreamNode{}, bad("stream listpack")
	}
	p := 0
	num := func() (int64, bool) {
		if p >= len(els) {
			return 0, false
		}
		v, err := strconv.ParseInt(els[p], 10, 64)
		p++
		return v, err == nil
	}
	n := keyspace.StreamNode{Master: master}
	_, ok1 := num() // live count
	_, ok2 := num() // deleted count
	nf, ok3 := num()
	if !ok1 || !ok2 || !ok3 || nf < 0 || p+int(nf)+1 > len(els) {
		return n, bad("stream master entry")
	}
	n.Fields = els[p : p+int(nf)]
	p += int(nf)
	if z, ok := num(); !ok || z != 0 {
		return n, bad("stream master entry terminator")
	}
	for p < len(els) {
		flags, ok1 := num()
		dms, ok2 := num()
		dseq, ok3 := num()
		if !ok1 || !ok2 || !ok3 {
			return n, bad("stream entry")
		}
		en := keyspace.StreamNodeEntry{
			ID:      keyspace.StreamID{Ms: master.Ms + uint64(dms), Seq: master.Seq + uint64(dseq)},
			Deleted: flags&streamFlagDeleted != 0,
			Same:    flags&streamFlagSameFields != 0,
		}
		if en.Same {
			if p+len(n.Fields) > len(els) {
				return n, bad("stream entry values")
			}
			for i, f := range n.Fields {
				en.Fields = append(en.Fields, f, els[p+i])
			}
			p += len(n.Fields)
		} else {
			k, ok := num()
			if !ok || k < 0 || p+2*int(k) > len(els) {
				return n, bad("stream entry fields")
			}
			en.Fields = els[p : p+2*int(k) : p+2*int(k)]
			p += 2 * int(k)
		}
		if _, ok := num(); !ok {
			return n, bad("stream entry lp-count")
		}
		n.Entries = append(n.Entries, en)
	}
	return n, nil
}
