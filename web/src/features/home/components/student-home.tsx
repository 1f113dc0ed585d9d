import { Welcome } from './welcome.js';

export function StudentHome({ name }: { name: string }) {
  return (
    <Welcome name={name} testId="student-home">
      This is where you will check in to your classes and follow your attendance.
    </Welcome>
  );
}
