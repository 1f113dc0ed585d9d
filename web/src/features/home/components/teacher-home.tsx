import { Welcome } from './welcome.js';

export function TeacherHome({ name }: { name: string }) {
  return (
    <Welcome name={name} testId="teacher-home">
      This is where you will run your courses: open a session, show the check-in code, and watch
      attendance arrive live.
    </Welcome>
  );
}
