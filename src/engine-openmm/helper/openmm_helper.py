#!/usr/bin/env python3
"""mdswarm's OpenMM helper: drives a local OpenMM for the node over a binary pipe.

Started by the node (src/engine-openmm/helper-process.ts) with the interpreter
that can import OpenMM; it reads requests on stdin and writes replies on stdout,
both as the message stream described in src/engine-openmm/protocol/codec.ts:

    message = u32 LE body length | u8 type | payload
    payload = fields, each either text (u32 byte count + UTF-8),
              f64 array (u32 count + count x float64 LE) or
              f32 array (u32 count + count x float32 LE)

Requests (node -> helper): INIT, RUN, GET_CHECKPOINT, GET_FRAME, DETECT, STOP, QUIT.
Replies (helper -> node): READY, FRAME, CHECKPOINT, RUN_DONE, DETECTED, PROGRESS, ERROR.
Units are OpenMM's: nm, ps, kJ/mol, amu, K. Anything printed by OpenMM or Python
goes to stderr; stdout carries only protocol messages. End of stdin ends the helper.

Data only, never code: the inputs are OpenMM XML, a PDB and numbers.
"""

import io
import json
import math
import os
import select
import signal
import struct
import sys
import time

# ---------------------------------------------------------------- message types (mirrors protocol/messages.ts)

INIT = 0x01
RUN = 0x02
GET_CHECKPOINT = 0x03
GET_FRAME = 0x04
DETECT = 0x05
STOP = 0x06
QUIT = 0x07

READY = 0x81
FRAME = 0x82
CHECKPOINT = 0x83
RUN_DONE = 0x84
DETECTED = 0x85
PROGRESS = 0x86
ERROR = 0x8F

#: Largest message accepted on stdin (System XML of a large system).
MAX_MESSAGE_BYTES = 1 << 30
#: Wall time one block of steps aims at, so STOP is answered quickly.
TARGET_BLOCK_S = 0.1
#: Molar gas constant, kJ/mol/K.
GAS_CONSTANT_KJ = 0.00831446261815324

PROTOCOL_FD = None


#: Prefix of each GPU platform's own property names before OpenMM 7.5 (CudaPrecision); later versions list the
#: bare name (Precision) and accept the old one.
PLATFORM_PROPERTY_PREFIX = {"CUDA": "Cuda", "OpenCL": "OpenCL", "HIP": "Hip"}


def platform_properties(platform, properties, keep_unknown):
    """The properties meant for `platform`, under the names it lists: a platform-prefixed name (CudaPrecision)
    only for that platform, as the bare name where the platform lists that (OpenMM >= 7.5), and a bare name as
    the prefixed one where only that is listed (older OpenMM). Names for other platforms are dropped; other
    unknown names are kept only with keep_unknown (OpenMM then refuses them with its own message)."""
    names = set(platform.getPropertyNames())
    own_prefix = PLATFORM_PROPERTY_PREFIX.get(platform.getName())
    usable = {}
    for key, value in properties.items():
        if key in names:
            usable[key] = value
            continue
        prefix = next((p for p in PLATFORM_PROPERTY_PREFIX.values() if key.startswith(p) and len(key) > len(p)), None)
        if prefix is not None and prefix == own_prefix and key[len(prefix):] in names:
            usable.setdefault(key[len(prefix):], value)
        elif prefix is None and own_prefix is not None and own_prefix + key in names:
            usable.setdefault(own_prefix + key, value)
        elif prefix is None and keep_unknown:
            usable[key] = value
    return usable


class HelperInputError(Exception):
    """The inputs are wrong (not OpenMM's failure): a mismatch, a missing field."""


class CheckpointMismatchError(HelperInputError):
    """The checkpoint belongs to another system."""


class BlowUpError(Exception):
    """Energies or coordinates stopped being finite."""

    def __init__(self, step, message):
        super().__init__(message)
        self.step = step


# ---------------------------------------------------------------- codec


def write_message(msg_type, fields=()):
    parts = [bytes([msg_type])]
    for field in fields:
        parts.append(field)
    body = b"".join(parts)
    data = struct.pack("<I", len(body)) + body
    view = memoryview(data)
    while len(view) > 0:
        written = os.write(PROTOCOL_FD, view)
        view = view[written:]


def text_field(text):
    data = text.encode("utf-8")
    return struct.pack("<I", len(data)) + data


def f64_field(values):
    values = list(values)
    return struct.pack("<I%dd" % len(values), len(values), *values)


def f64_bytes_field(raw, count):
    """An f64 field from raw little-endian float64 bytes (e.g. numpy .tobytes())."""
    return struct.pack("<I", count) + raw


def f32_bytes_field(raw, count):
    """An f32 field from raw little-endian float32 bytes."""
    return struct.pack("<I", count) + raw


def json_field(obj):
    return text_field(json.dumps(obj))


class PayloadReader:
    def __init__(self, payload):
        self.payload = payload
        self.at = 0

    def _count(self):
        if self.at + 4 > len(self.payload):
            raise HelperInputError("truncated message field")
        (count,) = struct.unpack_from("<I", self.payload, self.at)
        self.at += 4
        return count

    def text(self):
        count = self._count()
        if self.at + count > len(self.payload):
            raise HelperInputError("truncated text field")
        value = bytes(self.payload[self.at:self.at + count]).decode("utf-8")
        self.at += count
        return value

    def f64(self):
        count = self._count()
        if self.at + 8 * count > len(self.payload):
            raise HelperInputError("truncated float64 field")
        values = struct.unpack_from("<%dd" % count, self.payload, self.at)
        self.at += 8 * count
        return list(values)


class MessageReader:
    """Reads whole messages from fd 0; can poll without blocking (for STOP during a run)."""

    def __init__(self):
        self.buffer = bytearray()
        self.eof = False

    def _next_buffered(self):
        if len(self.buffer) < 4:
            return None
        (length,) = struct.unpack_from("<I", self.buffer, 0)
        if length < 1 or length > MAX_MESSAGE_BYTES:
            raise HelperInputError("message of %d bytes is out of bounds" % length)
        if len(self.buffer) < 4 + length:
            return None
        body = bytes(self.buffer[4:4 + length])
        del self.buffer[:4 + length]
        return body[0], body[1:]

    def _fill(self):
        chunk = os.read(0, 1 << 20)
        if not chunk:
            self.eof = True
        self.buffer.extend(chunk)

    def read(self):
        """The next message, blocking; None at end of input."""
        while True:
            message = self._next_buffered()
            if message is not None:
                return message
            if self.eof:
                return None
            self._fill()

    def poll(self):
        """The next message if one has fully arrived, else None (never blocks)."""
        message = self._next_buffered()
        while message is None and not self.eof:
            readable, _, _ = select.select([0], [], [], 0)
            if not readable:
                return None
            self._fill()
            message = self._next_buffered()
        return message


# ---------------------------------------------------------------- OpenMM


def import_openmm():
    try:
        import openmm as mm
        import openmm.app as app
    except ImportError:
        from simtk import openmm as mm  # OpenMM 7.x before 7.6
        from simtk.openmm import app
    return mm, app


mm = None
app = None
numpy = None


def openmm_version():
    return getattr(mm, "__version__", None) or mm.Platform.getOpenMMVersion()


def detect():
    """Platforms that actually create a context, with the OpenMM version."""
    system = mm.System()
    system.addParticle(1.0)
    platforms = []
    failed = {}
    for index in range(mm.Platform.getNumPlatforms()):
        platform = mm.Platform.getPlatform(index)
        name = platform.getName()
        try:
            context = mm.Context(system, mm.VerletIntegrator(0.001), platform)
            context.setPositions([mm.Vec3(0, 0, 0)])
            context.getState(getPositions=True)
            platforms.append(name)
            del context
        except Exception as error:  # a platform without its device
            failed[name] = str(error)
    speed_order = {"CUDA": 0, "OpenCL": 1, "CPU": 2, "Reference": 3}
    platforms.sort(key=lambda n: speed_order.get(n, 4))
    force_types = sorted(name for name in dir(mm)
                         if name != "Force" and isinstance(getattr(mm, name), type) and issubclass(getattr(mm, name), mm.Force))
    write_message(DETECTED, [json_field({"openmmVersion": openmm_version(), "platforms": platforms, "failed": failed,
                                         "forceTypes": force_types, "python": sys.executable})])


class Run:
    """One OpenMM Context and what the node needs to report frames and checkpoints."""

    def __init__(self, payload):
        reader = PayloadReader(payload)
        config = json.loads(reader.text())
        system_xml = reader.text()
        integrator_xml = reader.text()
        state_xml = reader.text()
        pdb_text = reader.text()
        checkpoint_scalars = reader.f64()
        checkpoint_positions = reader.f64()
        checkpoint_velocities = reader.f64()
        checkpoint_box = reader.f64()

        self.system = mm.XmlSerializer.deserialize(system_xml)
        if not isinstance(self.system, mm.System):
            raise HelperInputError("the System XML does not hold an OpenMM System")
        self.integrator = mm.XmlSerializer.deserialize(integrator_xml)
        if not isinstance(self.integrator, mm.Integrator):
            raise HelperInputError("the Integrator XML does not hold an OpenMM Integrator")
        seed = config.get("seed")
        if seed is not None and hasattr(self.integrator, "setRandomNumberSeed"):
            self.integrator.setRandomNumberSeed(int(seed) & 0x7FFFFFFF)
        self.wrap_frames = bool(config.get("wrapFrames"))
        self.periodic = self.system.usesPeriodicBoundaryConditions()
        n = self.system.getNumParticles()

        platform_name = config.get("platform")
        properties = {str(k): str(v) for k, v in (config.get("properties") or {}).items()}
        if platform_name:
            platform = mm.Platform.getPlatformByName(platform_name)
            # names the platform does not know stay, so that OpenMM refuses a misspelt property
            self.context = mm.Context(self.system, self.integrator, platform, platform_properties(platform, properties, keep_unknown=True))
        else:
            self.context = self._fastest_context(properties)
        platform = self.context.getPlatform()
        self.platform_name = platform.getName()
        self.properties = {name: platform.getPropertyValue(self.context, name) for name in platform.getPropertyNames()}

        has_velocities = False
        if len(checkpoint_scalars) == 2:
            if len(checkpoint_positions) != 3 * n or len(checkpoint_velocities) != 3 * n:
                raise CheckpointMismatchError("the checkpoint is for %d particles but the System has %d"
                                       % (len(checkpoint_positions) // 3, n))
            if len(checkpoint_box) == 9:
                self.context.setPeriodicBoxVectors(*vec3_list(checkpoint_box))
            elif self.periodic:
                raise CheckpointMismatchError("the checkpoint has no periodic box but the System is periodic")
            self.context.setPositions(vec3_list(checkpoint_positions))
            self.context.setVelocities(vec3_list(checkpoint_velocities))
            self.context.setTime(checkpoint_scalars[1])
            self.context.setStepCount(int(checkpoint_scalars[0]))
            has_velocities = True
        elif state_xml:
            state = mm.XmlSerializer.deserialize(state_xml)
            if not isinstance(state, mm.State):
                raise HelperInputError("the State XML does not hold an OpenMM State")
            if len(state.getPositions()) != n:
                raise HelperInputError("the State has %d particles but the System has %d" % (len(state.getPositions()), n))
            self.context.setState(state)
            try:
                state.getVelocities()
                has_velocities = True
            except Exception:
                has_velocities = False
            step = state.getStepCount() if hasattr(state, "getStepCount") else 0
            self.context.setStepCount(step)
        elif pdb_text:
            pdb = app.PDBFile(io.StringIO(pdb_text))
            if len(pdb.positions) != n:
                raise HelperInputError("the System has %d particles but the PDB has %d" % (n, len(pdb.positions)))
            box = pdb.topology.getPeriodicBoxVectors()
            if box is not None:
                self.context.setPeriodicBoxVectors(*box)
            self.context.setPositions(pdb.positions)
        else:
            raise HelperInputError("no starting positions: give a PDB, a State XML or a checkpoint")

        if not has_velocities:
            temperature = getattr(self.integrator, "getTemperature", None)
            if temperature is not None:
                # Stochastic integrators start from Maxwell-Boltzmann velocities; Verlet starts at rest.
                if seed is not None:
                    self.context.setVelocitiesToTemperature(temperature(), int(seed) & 0x7FFFFFFF)
                else:
                    self.context.setVelocitiesToTemperature(temperature())

        self.step = self.context.getStepCount() if hasattr(self.context, "getStepCount") else 0
        self.dof = degrees_of_freedom(self.system)
        self.step_size_ps = self.integrator.getStepSize().value_in_unit(unit_module().picosecond)
        self.steps_per_block = 1
        write_message(READY, [json_field({
            "openmmVersion": openmm_version(),
            "platform": self.platform_name,
            "properties": self.properties,
            "particleCount": n,
            "stepSizePs": self.step_size_ps,
            "step": self.step,
            "timePs": self.context.getState().getTime().value_in_unit(unit_module().picosecond),
            "periodic": self.periodic,
        })])

    def _fastest_context(self, properties):
        errors = []
        for name in ("CUDA", "OpenCL", "CPU", "Reference"):
            try:
                platform = mm.Platform.getPlatformByName(name)
            except Exception:
                continue
            usable = platform_properties(platform, properties, keep_unknown=False)
            try:
                return mm.Context(self.system, self.integrator, platform, usable)
            except Exception as error:
                errors.append("%s: %s" % (name, error))
        raise mm_exception_type()("no OpenMM platform could create a context (" + "; ".join(errors) + ")")

    def run(self, payload, reader):
        values = PayloadReader(payload).f64()
        steps, report_every = int(values[0]), int(values[1])
        if steps < 0 or report_every < 1:
            raise HelperInputError("RUN needs steps >= 0 and reportEvery >= 1")
        done = 0
        while done < steps:
            message = reader.poll()
            if reader.eof:
                sys.exit(1)  # the node is gone
            if message is not None and message[0] == STOP:
                break
            if message is not None and message[0] == QUIT:
                sys.exit(0)
            to_next_report = report_every - (self.step % report_every)
            block = min(steps - done, to_next_report, self.steps_per_block)
            started = time.perf_counter()
            self.integrator.step(block)
            self.step += block
            done += block
            if self.step % report_every == 0:
                self.send_frame()
            else:
                write_message(PROGRESS, [f64_field([self.step])])
            elapsed = time.perf_counter() - started
            # Grow or shrink the block so that one takes about TARGET_BLOCK_S.
            per_step = max(elapsed / block, 1e-7)
            self.steps_per_block = max(1, min(4 * self.steps_per_block, int(TARGET_BLOCK_S / per_step)))
        state = self.context.getState()
        write_message(RUN_DONE, [f64_field([self.step, state.getTime().value_in_unit(unit_module().picosecond), done])])

    def send_frame(self):
        u = unit_module()
        state = self.context.getState(getPositions=True, getEnergy=True,
                                      enforcePeriodicBox=self.wrap_frames and self.periodic)
        potential = state.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole)
        kinetic = state.getKineticEnergy().value_in_unit(u.kilojoule_per_mole)
        positions = state.getPositions(asNumpy=True).value_in_unit(u.nanometer)
        if not (math.isfinite(potential) and math.isfinite(kinetic)):
            raise BlowUpError(self.step, "the energy is not finite (potential %r, kinetic %r kJ/mol)" % (potential, kinetic))
        flat = numpy.asarray(positions).reshape(-1)
        if not numpy.isfinite(flat).all():
            raise BlowUpError(self.step, "coordinates are not finite")
        temperature = 2 * kinetic / (self.dof * GAS_CONSTANT_KJ) if self.dof > 0 else 0.0
        box = box_values(state) if self.periodic else []
        write_message(FRAME, [
            f64_field([self.step, state.getTime().value_in_unit(u.picosecond), potential, kinetic, temperature]),
            f64_field(box),
            f32_bytes_field(flat.astype("<f4").tobytes(), len(flat)),
        ])

    def send_checkpoint(self):
        u = unit_module()
        state = self.context.getState(getPositions=True, getVelocities=True)
        positions = numpy.asarray(state.getPositions(asNumpy=True).value_in_unit(u.nanometer)).reshape(-1)
        velocities = numpy.asarray(state.getVelocities(asNumpy=True).value_in_unit(u.nanometer / u.picosecond)).reshape(-1)
        box = box_values(state) if self.periodic else []
        write_message(CHECKPOINT, [
            f64_field([self.step, state.getTime().value_in_unit(u.picosecond)]),
            f64_bytes_field(positions.astype("<f8").tobytes(), len(positions)),
            f64_bytes_field(velocities.astype("<f8").tobytes(), len(velocities)),
            f64_field(box),
        ])


def unit_module():
    try:
        import openmm.unit as unit
    except ImportError:
        from simtk import unit
    return unit


def mm_exception_type():
    return getattr(mm, "OpenMMException", Exception)


def vec3_list(flat):
    return [mm.Vec3(flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]


def box_values(state):
    u = unit_module()
    vectors = state.getPeriodicBoxVectors(asNumpy=True).value_in_unit(u.nanometer)
    return [float(x) for x in vectors.reshape(-1)]


def degrees_of_freedom(system):
    dof = 0
    for i in range(system.getNumParticles()):
        if system.getParticleMass(i).value_in_unit(unit_module().dalton) > 0:
            dof += 3
    for i in range(system.getNumConstraints()):
        p1, p2, _ = system.getConstraintParameters(i)
        if system.getParticleMass(p1).value_in_unit(unit_module().dalton) > 0 or \
                system.getParticleMass(p2).value_in_unit(unit_module().dalton) > 0:
            dof -= 1
    if any(isinstance(system.getForce(i), mm.CMMotionRemover) for i in range(system.getNumForces())):
        dof -= 3
    return dof


def send_error(kind, error, step=None):
    body = {"kind": kind, "errorType": type(error).__name__, "message": str(error)}
    if step is not None:
        body["step"] = step
    write_message(ERROR, [json_field(body)])


def classify(error):
    if isinstance(error, BlowUpError):
        return "blowup"
    if isinstance(error, CheckpointMismatchError):
        return "checkpoint"
    if isinstance(error, HelperInputError):
        return "input"
    message = str(error).lower()
    if "nan" in message or "infinity" in message or "not finite" in message:
        return "blowup"
    return "openmm"


def main():
    global PROTOCOL_FD, mm, app, numpy
    # stdout carries only protocol messages: anything else that prints goes to stderr.
    PROTOCOL_FD = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Ctrl-C in a terminal reaches the whole process group: the node decides (it sends STOP), and
    # the end of stdin ends the helper when the node is gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    reader = MessageReader()
    try:
        mm, app = import_openmm()
        import numpy as numpy_module
        numpy = numpy_module
    except ImportError as error:
        send_error("unavailable", error)
        return 3

    current = None
    while True:
        message = reader.read()
        if message is None:
            return 0
        msg_type, payload = message
        try:
            if msg_type == QUIT:
                return 0
            if msg_type == DETECT:
                detect()
            elif msg_type == INIT:
                current = None
                current = Run(payload)
            elif current is None and msg_type in (RUN, GET_CHECKPOINT, GET_FRAME):
                raise HelperInputError("INIT must come first")
            elif msg_type == RUN:
                current.run(payload, reader)
            elif msg_type == GET_CHECKPOINT:
                current.send_checkpoint()
            elif msg_type == GET_FRAME:
                current.send_frame()
            elif msg_type == STOP:
                pass  # a STOP that arrived after its run ended
            else:
                raise HelperInputError("unknown message type %d" % msg_type)
        except (BrokenPipeError, KeyboardInterrupt):
            return 1
        except SystemExit:
            raise
        except Exception as error:  # OpenMM raises OpenMMException (or Exception in old versions)
            send_error(classify(error), error, getattr(error, "step", current.step if current is not None else None))


if __name__ == "__main__":
    sys.exit(main())
